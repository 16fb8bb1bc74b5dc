"""Seeded data generators shared by exercises: the same seed gives the same bytes on every machine."""
