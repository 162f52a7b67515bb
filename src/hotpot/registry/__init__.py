"""Registries: the holders register (streamed CSV/JSON) and public transparency figures."""
