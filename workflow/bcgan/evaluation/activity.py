"""Activity probe of a generator's conditioning module (paper §4 "Embedding Space Statistics", App. C).

Why: the paper compares embeddings by feeding each one inputs spread uniformly over its *working
range* and looking at the distribution of every output neuron (Figs 5, 10, 11). A neuron whose
output does not move over the whole working range carries no label information ("dead").

* working range: ``G.working_range()`` (CGAN class ids 0..K-1, CcGAN normalised labels [0, 1],
  BcGAN raw temperatures [0, t_max]); never a constant here.
* continuous ranges get ``points`` inputs ``linspace(lo, hi, points)`` (float64 grid cast to the
  float32 label dtype); a discrete range (CGAN) gets every class id lo..hi, i.e. the complete
  lookup table (K <= 1024 rows, so probing all of them is exact and cheap).
* dead neuron: ``max - min`` of its output over the probe inputs ``< dead_range`` (strict).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import h5py
import numpy as np
import torch

from bcgan.errors import UserError
from bcgan.io import atomic_hdf5, atomic_path

FORMAT_KIND = "activity"


@dataclass
class Activity:
    """Probe result: ``inputs`` (P,) in the label domain, ``outputs`` (P, E) neuron outputs."""

    variant: str
    inputs: np.ndarray
    outputs: np.ndarray
    working_range: tuple[float, float]
    discrete: bool


def probe_inputs(lo: float, hi: float, discrete: bool, points: int) -> np.ndarray:
    """Uniformly spaced inputs over [lo, hi]: every integer if ``discrete``, else ``points`` values."""
    if discrete:
        lo_i, hi_i = int(round(lo)), int(round(hi))
        if hi_i < lo_i:
            raise UserError(f"empty discrete working range [{lo}, {hi}]")
        return np.arange(lo_i, hi_i + 1, dtype=np.int64)
    if points < 2:
        raise UserError(f"probe points must be >= 2, got {points}")
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise UserError(f"working range must be finite with lo < hi, got [{lo}, {hi}]")
    return np.linspace(float(lo), float(hi), int(points), dtype=np.float64)


@torch.no_grad()
def probe_embedding(embed, inputs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Feed ``inputs`` through ``embed`` (a callable labels -> (B, E)) in batches; (P, E) float32."""
    dtype = torch.int64 if np.issubdtype(inputs.dtype, np.integer) else torch.float32
    out = []
    for start in range(0, len(inputs), batch_size):
        labels = torch.as_tensor(inputs[start : start + batch_size]).to(dtype)
        e = embed(labels)
        out.append(e.detach().to(torch.float32).cpu().numpy().reshape(len(labels), -1))
    return np.concatenate(out, axis=0)


def probe_generator(generator, points: int, variant: str | None = None) -> Activity:
    """Probe ``generator.embed`` over ``generator.working_range()`` (eval mode, no gradients)."""
    lo, hi, discrete = generator.working_range()
    inputs = probe_inputs(lo, hi, bool(discrete), points)
    was_training = generator.training
    generator.eval()
    try:
        outputs = probe_embedding(generator.embed, inputs)
    finally:
        generator.train(was_training)
    name = variant or generator.spec.name
    return Activity(name, inputs, outputs, (float(lo), float(hi)), bool(discrete))


def dead_mask(outputs: np.ndarray, dead_range: float) -> np.ndarray:
    """(E,) bool: neuron j is dead when max - min of ``outputs[:, j]`` is below ``dead_range``."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 2 or outputs.shape[0] < 1:
        raise UserError(f"activity outputs must be (P, E) with P >= 1, got shape {outputs.shape}")
    if dead_range < 0:
        raise UserError(f"dead_range must be >= 0, got {dead_range}")
    return np.ptp(outputs, axis=0) < dead_range


def summarize(activity: Activity, dead_range: float) -> dict:
    """The JSON summary (the metrics table reads ``dead_fraction``)."""
    dead = dead_mask(activity.outputs, dead_range)
    spread = np.ptp(activity.outputs.astype(np.float64), axis=0)
    alive = spread[~dead]
    return {
        "variant": activity.variant,
        "n_neurons": int(dead.size),
        "n_dead": int(dead.sum()),
        "dead_fraction": float(dead.mean()),
        "dead_range": float(dead_range),
        "dead_definition": "max - min of the neuron output over the probe inputs < dead_range",
        "working_range": [activity.working_range[0], activity.working_range[1]],
        "discrete": activity.discrete,
        "probe_points": int(len(activity.inputs)),
        "output_min": float(activity.outputs.min()),
        "output_max": float(activity.outputs.max()),
        "median_neuron_range": float(np.median(spread)),
        "median_alive_neuron_range": float(np.median(alive)) if alive.size else 0.0,
        "dead_neurons": np.flatnonzero(dead).tolist(),
    }


def write_activity(h5_path, json_path, activity: Activity, dead_range: float, **attrs) -> dict:
    """Write inputs/outputs (HDF5) and the summary (JSON), each atomically; returns the summary."""
    summary = summarize(activity, dead_range)
    with atomic_hdf5(h5_path) as f:
        f.create_dataset("inputs", data=activity.inputs)
        f.create_dataset("outputs", data=activity.outputs.astype(np.float32), compression="gzip")
        f.create_dataset("dead", data=dead_mask(activity.outputs, dead_range))
        f.attrs.update({"kind": FORMAT_KIND, "variant": activity.variant,
                        "working_range": list(activity.working_range), "discrete": activity.discrete,
                        "dead_range": float(dead_range), **attrs})
    if json_path is not None:
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def read_activity(path) -> Activity:
    """Read a file written by :func:`write_activity`; foreign/truncated file -> UserError naming it."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("kind") != FORMAT_KIND:
                raise UserError(f"{path}: not an activity file (attr kind != {FORMAT_KIND!r})")
            lo, hi = (float(v) for v in f.attrs["working_range"])
            return Activity(str(f.attrs["variant"]), f["inputs"][()], f["outputs"][()], (lo, hi),
                            bool(f.attrs["discrete"]))
    except (OSError, KeyError) as exc:
        raise UserError(f"{path}: not a readable activity file ({type(exc).__name__})") from None
