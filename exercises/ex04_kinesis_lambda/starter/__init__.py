"""Your code for Exercise 4: `put_records.py`, `enrich.py`, `handler.py`. `bootcamp check ex04` grades it."""
