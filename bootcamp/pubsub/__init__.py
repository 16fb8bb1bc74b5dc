"""Pub/Sub helpers every Pub/Sub-based exercise shares: connection settings and resource administration."""
