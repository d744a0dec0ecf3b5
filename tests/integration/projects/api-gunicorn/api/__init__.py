"""A plain WSGI API: version and health endpoints."""
