"""The ``bcgan`` command line: one subcommand per module in this package, usable outside Snakemake.

Only the module of the subcommand being run is imported (all of them for ``--help``), so a command
needs only its own dependencies: a data job never imports torch. That keeps start-up short and lets
each rule run in its own small conda environment (envs/).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from bcgan import __version__
from bcgan.errors import UserError

# Each name is a module bcgan.cli.<name> with add_parser(subparsers); order is the order of --help.
COMMANDS = ["ising", "inspect", "dataset", "psd", "params", "train", "sample", "generate", "analyse", "physics",
            "figure", "table", "explorer", "resources", "bench", "study"]

_words: list[str] = []  # positional words of the command line being parsed (command, sub-command, ...)


def requested(position: int) -> str | None:
    """The positional word at ``position`` of the command line (0 = the command), if any."""
    return _words[position] if len(_words) > position else None


def add_plugins(subparsers, package, commands: dict[str, str]) -> None:
    """Sub-commands {name: module} from modules ``package.<module>`` that define add_arguments(parser)
    and run(args); when the command line names one, only that module is imported."""
    wanted = requested(1)
    for name, module_name in commands.items():
        if wanted in commands and name != wanted:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_name}")
        parser = subparsers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(parser)
        parser.set_defaults(func=module.run)


def plugin_modules(package) -> list[str]:
    """Public module names of ``package``, without importing them."""
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bcgan", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bcgan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = requested(0)
    for name in COMMANDS:
        if wanted in COMMANDS and name != wanted:
            continue
        importlib.import_module(f"bcgan.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _words[:] = [a for a in argv if not a.startswith("-")]
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
