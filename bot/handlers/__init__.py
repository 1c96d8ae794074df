"""Routers, one per feature; bot.__main__ includes them in order."""
