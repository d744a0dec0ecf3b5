"""The inventory."""
