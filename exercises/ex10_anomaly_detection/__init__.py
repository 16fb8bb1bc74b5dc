"""Exercise 10: anomaly detection on time series read from Cassandra, written to InfluxDB."""
