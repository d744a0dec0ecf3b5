"""Encode host names to their ASCII form."""
