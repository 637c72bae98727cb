"""`python -m farflow.workload s3://bucket/key`: see farflow.workload.entry."""

from __future__ import annotations

import sys

from farflow.workload.entry import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
