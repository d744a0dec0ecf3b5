"""The command line: ``csvstat-lite FILE.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from csvstat_lite.stats import describe


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--delimiter", default=",", show_default=True)
def main(path: Path, delimiter: str) -> None:
    """Print count, mean, min and max of every numeric column of PATH."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    for column, summary in describe(rows).items():
        click.echo(f"{column}: {summary}")
