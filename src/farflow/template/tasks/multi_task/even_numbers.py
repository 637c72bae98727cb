"""Prints the even numbers below a limit (env EVEN_LIMIT, default 20)."""

import os

limit = int(os.environ.get("EVEN_LIMIT", "20"))
even = [number for number in range(limit) if number % 2 == 0]
print(f"even numbers below {limit}: {even}")
