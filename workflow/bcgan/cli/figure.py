"""``bcgan figure NAME``: draw one paper figure (modules in bcgan.figures)."""

from __future__ import annotations

import importlib
import pkgutil

import bcgan.figures


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("figure", help="draw one figure of the paper (PDF + PNG)")
    sub = parser.add_subparsers(dest="figure", metavar="NAME", required=True)
    for info in sorted(pkgutil.iter_modules(bcgan.figures.__path__), key=lambda m: m.name):
        if not info.name.startswith("fig"):
            continue
        module = importlib.import_module(f"bcgan.figures.{info.name}")
        p = sub.add_parser(info.name.split("_")[0], help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.set_defaults(func=module.run)
