"""Text generation service."""
