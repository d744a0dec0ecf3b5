"""Speech recognition service."""
