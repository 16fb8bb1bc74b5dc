"""Kafka helpers every Kafka-based exercise shares: client configuration and topic administration."""
