"""The ``bcgan`` command line: one subcommand per module in this package, usable outside Snakemake.

Only the module of the subcommand being run is imported (all of them for ``--help``), so a command
needs only its own dependencies: a data job never imports torch. That keeps start-up short and lets
each rule run in its own small conda environment (envs/).

Every command runs through ``main``, which (1) checks before the command starts that each output file
option (``OUTPUT_OPTIONS``, or the ``outputs`` a parser sets with set_defaults) can be written, and
(2) turns bad input (UserError) and failed writes (WriteError, OSError) into one ``error:`` line (exit 2
and 1) and Ctrl-C or SIGTERM into one ``interrupted`` line (exit 130 and 143): never a traceback.
Outputs are written atomically (bcgan.io), so an error, Ctrl-C or SIGTERM leaves no partial file or
folder (SIGTERM is raised as an exception, so that the writers' clean-up runs).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import pkgutil
import signal
import sys
import threading

from bcgan import __version__
from bcgan.errors import UserError, WriteError

# Each name is a module bcgan.cli.<name> with add_parser(subparsers); order is the order of --help.
COMMANDS = ["ising", "inspect", "dataset", "psd", "params", "train", "sample", "generate", "analyse", "physics",
            "figure", "table", "explorer", "resources", "bench", "study"]

# argparse dests that name an output file wherever they occur; a parser with other outputs (train gan)
# or an output folder (generate) says so with set_defaults(outputs=(...)).
OUTPUT_OPTIONS = ("out", "out_csv", "out_md", "pdf", "png", "summary")

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


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cluster's or Snakemake's stop), raised like Ctrl-C so that temporary files are removed."""


def _terminate(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    main_thread = threading.current_thread() is threading.main_thread()  # only there may handlers be set
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # Ctrl-C, also while starting up: one line; atomic writers leave nothing
        print(f"interrupted: bcgan {requested(0) or ''} stopped; no partial output was left", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    finally:
        _words.clear()  # the next build_parser() (another call, a test) sees every command again
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
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
        check_numbers(args)
        check_outputs(args)
        return int(args.func(args) or 0)
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or (str(exc).splitlines() or [""])[0] or type(exc).__name__
        print(f"error: {where}{reason}", file=sys.stderr)
        return 1


def check_numbers(args) -> None:
    """UserError naming the first option given a NaN or infinite number: argparse's float() takes
    'nan' and 'inf', which no later range check catches (NaN compares false with every bound)."""
    for dest, value in vars(args).items():
        for number in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(number, float) and not math.isfinite(number):
                raise UserError(f"--{dest.replace('_', '-')}: {number} not allowed (must be a finite number)")


def check_outputs(args) -> None:
    """UserError naming the first output file of ``args`` that cannot be written (bcgan.io.check_output_file)."""
    from bcgan.io import check_output_file

    for dest in getattr(args, "outputs", OUTPUT_OPTIONS):
        value = getattr(args, dest, None)
        for path in value if isinstance(value, (list, tuple)) else [value]:
            if path is not None:
                check_output_file(path, "--" + dest.replace("_", "-"))


if __name__ == "__main__":
    sys.exit(main())
