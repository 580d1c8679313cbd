"""Spiders of the editwatch project."""
