"""Prints the numbers below a limit and their sum (env NUMBERS_LIMIT, default 10)."""

import os

limit = int(os.environ.get("NUMBERS_LIMIT", "10"))
numbers = list(range(limit))
print(f"numbers below {limit}: {numbers}, sum {sum(numbers)}")
