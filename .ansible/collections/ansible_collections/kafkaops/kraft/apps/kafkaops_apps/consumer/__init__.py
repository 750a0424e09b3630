"""Kafka consumer viewer app (port 8002)."""
