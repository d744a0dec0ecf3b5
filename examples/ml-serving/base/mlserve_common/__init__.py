"""What the serving images share: settings and a small JSON HTTP server."""
