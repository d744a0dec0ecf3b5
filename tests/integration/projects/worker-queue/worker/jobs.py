"""Jobs: read, run with retries, move to done/."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
from tenacity import retry, stop_after_attempt, wait_fixed


@attrs.frozen
class Job:
    name: str
    numbers: list[int]

    def run(self) -> int:
        return sum(self.numbers)


@retry(stop=stop_after_attempt(3), wait=wait_fixed(0.5))
def load(path: Path) -> Job:
    data = json.loads(path.read_text())
    return Job(name=data["name"], numbers=[int(n) for n in data["numbers"]])


def process_spool(spool: Path) -> int:
    done_dir = spool / "done"
    done_dir.mkdir(exist_ok=True)
    count = 0
    for path in sorted(spool.glob("*.json")):
        job = load(path)
        (done_dir / f"{path.stem}.result").write_text(str(job.run()))
        path.rename(done_dir / path.name)
        count += 1
    return count
