"""Test support shared by every exercise: the pytest plugin and helpers for processes under test."""
