"""FastAPI producer and consumer apps, and the lag exporter, for the kafkaops.kraft collection."""

__version__ = "1.0.0"
