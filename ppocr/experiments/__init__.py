"""Experiment drivers: the ablation of PP-OCRv2's tricks and the inference benchmark.

They train/export/run several configs side by side; the configs they name are found through
``ppocr.resources.config_path`` (a source checkout's ``configs/`` or the installed copy).
"""
