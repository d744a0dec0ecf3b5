"""The public API: forwards requests to the model services."""
