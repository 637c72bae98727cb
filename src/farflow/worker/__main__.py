"""`python -m farflow.worker [airflow edge worker options]`: see farflow.worker.drain."""

from __future__ import annotations

import sys

from farflow.worker.drain import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
