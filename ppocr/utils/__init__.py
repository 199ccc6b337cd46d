"""Shared utilities: character dict, logging, io."""
