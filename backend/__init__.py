"""Stockhand: warehouse stock on the shop floor."""

__version__ = "0.1.0"
