"""Every hour, remove files older than a day from /shared/tmp."""

from __future__ import annotations

import time
from pathlib import Path

import schedule

SHARED_TMP = Path("/shared/tmp")
MAX_AGE = 24 * 3600


def sweep() -> None:
    if not SHARED_TMP.is_dir():
        return
    now = time.time()
    for path in SHARED_TMP.iterdir():
        if path.is_file() and now - path.stat().st_mtime > MAX_AGE:
            path.unlink()
            print(f"removed {path}", flush=True)


def main() -> None:
    schedule.every().hour.do(sweep)
    sweep()
    while True:
        schedule.run_pending()
        time.sleep(30)


if __name__ == "__main__":
    main()
