"""The bootcamp platform: local services, the exercise registry, the test plugin and the bench harness."""
