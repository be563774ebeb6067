"""``bcgan inspect FILE.h5``: summarise an Ising shard or a generated-sample file (validates it too)."""

from __future__ import annotations

import numpy as np


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("inspect", help="summarise an Ising shard or sample file", description=__doc__)
    p.add_argument("files", nargs="+", metavar="FILE.h5")
    p.set_defaults(func=run)


def summary(data: dict) -> dict:
    """Key numbers of a file read by bcgan.data.shards.read_shard (energy/m recomputed when not stored)."""
    from bcgan.data.ising import energy_per_spin, magnetization_per_spin

    images, attrs = data["images"], data["attrs"]
    n = images.shape[0]
    m = data["magnetization"] if "magnetization" in data else magnetization_per_spin(images)
    e = data["energy"] if "energy" in data else energy_per_spin(images)
    t = data["temperature"]
    return {
        "kind": attrs.get("kind"),
        "n": n,
        "L": images.shape[1] if images.ndim == 3 else None,
        "steps": attrs.get("steps", "-"),
        "T_range": f"{t.min():.4g}..{t.max():.4g}" if n else "-",
        "mean_abs_m": f"{np.abs(m).mean():.4f}" if n else "-",
        "energy_range": f"{e.min():.4f}..{e.max():.4f}" if n else "-",
    }


def run(args) -> int:
    from bcgan.data.shards import read_shard

    for path in args.files:
        data = read_shard(path)
        print(f"{path}: " + " ".join(f"{k}={v}" for k, v in summary(data).items()))
        print("  attrs: " + " ".join(f"{k}={v}" for k, v in sorted(data["attrs"].items())))
    return 0
