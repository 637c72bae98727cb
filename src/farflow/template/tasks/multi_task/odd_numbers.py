"""Prints the odd numbers below a limit (env ODD_LIMIT, default 20)."""

import os

limit = int(os.environ.get("ODD_LIMIT", "20"))
odd = [number for number in range(limit) if number % 2]
print(f"odd numbers below {limit}: {odd}")
