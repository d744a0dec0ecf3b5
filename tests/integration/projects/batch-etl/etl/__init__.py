"""CSV in, JSON lines out."""
