"""python -m uvjob NAME...: print each internationalised host name in its ASCII (IDNA) form."""

import argparse

import idna


def main() -> None:
    parser = argparse.ArgumentParser(prog="uvjob", description="Print host names in their ASCII form.")
    parser.add_argument("names", nargs="*", help="host names")
    for name in parser.parse_args().names:
        print(idna.encode(name).decode("ascii"))


if __name__ == "__main__":
    main()
