"""Datasets, transforms and the loader."""
