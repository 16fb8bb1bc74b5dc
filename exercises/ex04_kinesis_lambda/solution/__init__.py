"""The reference solution of Exercise 4."""
