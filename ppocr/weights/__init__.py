"""Weight files: reading and writing state_dicts, atomic file writes, loading into a model.

Sits below ``modeling`` and ``engine`` (both import it; it imports neither), so a
sub-model's ``pretrained`` and the trainer's checkpoints share one loader.
"""
