"""Training, evaluation and checkpoints: the logic behind tools/train.py and tools/eval.py."""
