"""Local stand-ins for the AWS machinery around the exercises (the Lambda event source mapping)."""
