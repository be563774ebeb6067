"""``bcgan physics``: the physics observables of a set of lattices, per temperature (bcgan.evaluation.physics).

  bcgan physics --images samples/ccgan.h5 --bootstrap 200 --seed 1 --out physics/samples_ccgan.csv
  bcgan physics --images physics/real_a.h5 --name real --out physics/real_a.csv

Reads an HDF5 file with ``images`` (n, L, L) and ``temperature`` (a generated-sample file or an Ising
shard); writes one row per temperature and observable: source, t, n, observable, value, sd (bootstrap
over images), flag.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("physics", help=__doc__.splitlines()[0].split(": ", 1)[1])
    p.add_argument("--images", type=Path, required=True, help="HDF5 with images and temperature")
    p.add_argument("--name", default=None, help="source name in the table (default: the file's variant, else 'real')")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples over images (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling")
    p.add_argument("--out", type=Path, required=True, help="output CSV (written atomically)")
    p.set_defaults(func=run)


def run(args) -> int:
    from bcgan.data.shards import read_shard
    from bcgan.errors import UserError
    from bcgan.evaluation.physics import SCALARS, observables
    from bcgan.io import atomic_path

    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder; give a CSV file name")
    shard = read_shard(args.images)
    if shard.get("temperature") is None:
        raise UserError(f"{args.images}: no temperature dataset; physics needs each image's temperature")
    name = args.name or shard["attrs"].get("variant") or "real"
    table = observables(shard["images"], shard["temperature"], bootstrap=args.bootstrap, seed=args.seed)
    table.insert(0, "source", name)
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False)
    scalars = table[table["observable"].isin(SCALARS)]
    log.info("%s: %d temperatures x %d images -> %s", name, scalars["t"].nunique(), int(table["n"].iloc[0]), args.out)
    return 0
