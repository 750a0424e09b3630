"""Consumer-group lag and log-dir usage exporter for Prometheus (kafkaops-lag-exporter, port 9308).

lag.py and kafka_client.py are links to the collection's plugins/module_utils files, the
kafka_consumer_lag module's lag code: one copy in the repository, built into the wheel.
"""
