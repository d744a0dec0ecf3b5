"""wordcount FILE...: the number of words in each file."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wordcount", description="Count the words in files.")
    parser.add_argument("files", nargs="*", help="files to read (standard input when none)")
    args = parser.parse_args(argv)
    if not args.files:
        print(len(sys.stdin.read().split()))
        return 0
    for name in args.files:
        with open(name, encoding="utf-8") as stream:
            print(f"{len(stream.read().split())} {name}")
    return 0
