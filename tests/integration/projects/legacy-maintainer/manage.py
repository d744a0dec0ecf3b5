"""Inventory tool.

Usage:
  manage.py list [--since=<date>]
  manage.py (-h | --help)

Options:
  --since=<date>  Only items added on or after this date.
"""

from __future__ import annotations

from dateutil import parser as dateparser
from docopt import docopt
from inventory.items import ITEMS


def main() -> None:
    args = docopt(__doc__ or "")
    since = dateparser.parse(args["--since"]) if args["--since"] else None
    for item in ITEMS:
        if since is None or item.added >= since:
            print(f"{item.added:%Y-%m-%d} {item.name}")


if __name__ == "__main__":
    main()
