"""Synthetic text renderer: the embedded default data."""
