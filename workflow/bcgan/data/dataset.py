"""Whole-dataset summaries of the Ising shards: the manifest and the magnetization-vs-T table."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from bcgan import __version__
from bcgan.data.ising import TC, onsager_magnetization
from bcgan.data.shards import read_shard
from bcgan.errors import UserError


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(shard_paths: list[str], t_bins: int = 20) -> dict:
    """Counts, temperature histogram and checksums: what a user checks before trusting a dataset."""
    if not shard_paths:
        raise UserError("manifest: no shard files given")
    shards, temperatures, sizes = [], [], set()
    for path in shard_paths:
        shard = read_shard(path)
        sizes.add(int(shard["attrs"]["L"]))
        temperatures.append(shard["temperature"])
        shards.append(
            {
                "file": Path(path).name,
                "images": int(len(shard["temperature"])),
                "sha256": sha256(path),
                "t_min": float(shard["temperature"].min()),
                "t_max": float(shard["temperature"].max()),
                "steps": int(shard["attrs"]["steps"]),
            }
        )
    if len(sizes) != 1:
        raise UserError(f"manifest: shards mix lattice sizes {sorted(sizes)}")
    t = np.concatenate(temperatures)
    counts, edges = np.histogram(t, bins=t_bins)
    return {
        "package_version": __version__,
        "lattice_size": sizes.pop(),
        "images": int(t.size),
        "temperature": {"min": float(t.min()), "max": float(t.max()), "tc": TC},
        "temperature_histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
        "shards": shards,
    }


def write_manifest(shard_paths: list[str], out: str | Path, t_bins: int = 20) -> None:
    from bcgan.io import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(manifest(shard_paths, t_bins), indent=2) + "\n")


def magnetization_table(shard_paths: list[str], bins: int) -> pd.DataFrame:
    """Per temperature bin: mean and spread of |m| and energy per spin, beside Onsager's exact |m|.

    |m| (not m) because the two ordered phases are equally likely; the exact curve is the infinite-
    lattice spontaneous magnetization, which finite, not fully equilibrated lattices approach only
    away from Tc.
    """
    t, m, e = [], [], []
    for path in shard_paths:
        shard = read_shard(path)
        t.append(shard["temperature"])
        m.append(np.abs(shard["magnetization"]))
        e.append(shard["energy"])
    t, m, e = np.concatenate(t).astype(np.float64), np.concatenate(m), np.concatenate(e)
    edges = np.linspace(t.min(), t.max(), bins + 1)
    which = np.clip(np.digitize(t, edges) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = which == b
        if not sel.any():
            continue
        rows.append(
            {
                "t_low": edges[b],
                "t_high": edges[b + 1],
                "t_mean": t[sel].mean(),
                "count": int(sel.sum()),
                "abs_m_mean": m[sel].mean(),
                "abs_m_std": m[sel].std(),
                "abs_m_q25": np.quantile(m[sel], 0.25),
                "abs_m_q75": np.quantile(m[sel], 0.75),
                "energy_mean": e[sel].mean(),
                "energy_std": e[sel].std(),
                "onsager_abs_m": float(onsager_magnetization(np.array([t[sel].mean()]))[0]),
            }
        )
    return pd.DataFrame(rows)
