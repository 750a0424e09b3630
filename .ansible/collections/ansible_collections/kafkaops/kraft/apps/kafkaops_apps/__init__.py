"""FastAPI producer and consumer apps for the kafkaops.kraft collection."""

__version__ = "1.0.0"
