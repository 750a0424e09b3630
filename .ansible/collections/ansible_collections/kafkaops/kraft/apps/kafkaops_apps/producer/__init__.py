"""HTTP to Kafka producer app (port 8001)."""
