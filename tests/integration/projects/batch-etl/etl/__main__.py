"""``python -m etl PIPELINE.toml``: run the pipeline once over every CSV file in the input folder."""

from __future__ import annotations

import sys
from pathlib import Path

import tomli

from etl.transform import Pipeline


def main(config_path: str) -> None:
    config = tomli.loads(Path(config_path).read_text())
    pipeline = Pipeline(rename=config.get("rename", {}), drop_empty=config.get("drop_empty", False))
    out_dir = Path(config["output"])
    for source in sorted(Path(config["input"]).glob("*.csv")):
        written = pipeline.run(source, out_dir / f"{source.stem}.jsonl")
        print(f"{source.name}: {written} rows")


if __name__ == "__main__":
    main(sys.argv[1])
