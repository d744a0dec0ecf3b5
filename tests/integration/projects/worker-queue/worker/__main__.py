"""Entry point: ``python -m worker`` processes the spool once, then every few seconds."""

from __future__ import annotations

import os
import time
from pathlib import Path

from worker.jobs import process_spool


def main() -> None:
    spool = Path(os.environ.get("SPOOL_DIR", "/var/lib/worker/spool"))
    spool.mkdir(parents=True, exist_ok=True)
    while True:
        done = process_spool(spool)
        if done:
            print(f"processed {done} job(s)", flush=True)
        time.sleep(5)


if __name__ == "__main__":
    main()
