"""Shared parts of the ML exercises: the Model Registry helpers."""
