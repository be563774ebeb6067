"""``bcgan dataset``: summaries of a set of Ising shards (manifest, magnetization table)."""

from __future__ import annotations

from bcgan.io import atomic_path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("dataset", help="summaries of Ising shards: manifest, magnetization table")
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)

    p = sub.add_parser("manifest", help="counts, temperature histogram and checksums (JSON)")
    p.add_argument("shards", nargs="+")
    p.add_argument("--bins", type=int, default=20, help="temperature histogram bins")
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_manifest)

    p = sub.add_parser("magnetization", help="<|m|> and energy per temperature bin, with Onsager's exact |m| (CSV)")
    p.add_argument("shards", nargs="+")
    p.add_argument("--bins", type=int, default=20)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_magnetization)


def run_manifest(args) -> int:
    from bcgan.data.dataset import write_manifest

    write_manifest(args.shards, args.out, args.bins)
    return 0


def run_magnetization(args) -> int:
    from bcgan.data.dataset import magnetization_table

    table = magnetization_table(args.shards, args.bins)
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return 0
