"""Andon: audits cloud settings continuously and catches data that became public by mistake."""

__version__ = "0.1.0"
