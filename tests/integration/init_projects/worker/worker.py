"""A queue worker (sample for dockopt init): polls a directory and handles the jobs it finds."""

import argparse
import pathlib
import time

import six


def main() -> None:
    parser = argparse.ArgumentParser(description="Process job files from a directory.")
    parser.add_argument("--queue", default="/tmp/jobs", help="directory to poll")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    args = parser.parse_args()
    queue = pathlib.Path(args.queue)
    queue.mkdir(parents=True, exist_ok=True)
    while True:
        for job in sorted(queue.glob("*.job")):
            print(six.ensure_str(f"handled {job.name}"), flush=True)
            job.unlink()
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
