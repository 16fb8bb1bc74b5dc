"""Exercise 4: event-driven processing with Kinesis and Lambda (enrich order events, stream to stream)."""
