"""The ``bcgan`` command line: one subcommand per module in this package, usable outside Snakemake."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bcgan import __version__
from bcgan.errors import UserError

# Each name is a module bcgan.cli.<name> with add_parser(subparsers); order is the order of --help.
COMMANDS = ["ising", "inspect", "dataset", "psd", "params", "train", "sample", "analyse", "figure", "table", "bench"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bcgan", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bcgan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bcgan.cli.{name}")
        except ModuleNotFoundError as exc:  # a stage not built yet must not break the others
            if exc.name == f"bcgan.cli.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting is chatty at INFO
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
