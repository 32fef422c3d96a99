"""Fixtures of the proactive tests: the shared store fixtures live in tests/conftest.py."""
