"""Training, evaluation, checkpoints and export: the logic behind tools/."""
