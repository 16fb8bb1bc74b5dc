"""Your implementation: fill in each function that raises NotImplementedError."""
