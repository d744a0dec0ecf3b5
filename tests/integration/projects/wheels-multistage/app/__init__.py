"""Renders a report template with sample figures."""
