"""Spool worker: one JSON job per file."""
