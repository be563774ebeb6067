"""ε-perturbation of the conditioning label at T = Tc with fixed noise (paper §4, Fig 6; App. D, Fig 9).

Why: a good continuous embedding must resolve a tiny label change (T = Tc + ε) into a small, real
change of the generated microstructure. The perturbation is applied to the TEMPERATURE and then
mapped to each variant's label domain with ``G.labels`` -- so for a CGAN a tiny ε usually stays in
the same class bin and the image cannot change at all, which is exactly the comparison.

Noise: one z per row from a recorded seed (``torch.Generator().manual_seed(seed)``), the same z for
every ε of that row. The reference image (ε = 0) and every perturbed image of one ε are generated
with the same batch shape (one forward per ε over all rows, eval mode), so a label that does not
change gives a bit-identical image.

Stored per (row, ε): the continuous tanh output and the binarised image (uint8 255 where output > 0,
i.e. spin +1), the fraction of pixels whose spin changed and the mean |Δ output| vs the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np
import torch

from bcgan.errors import UserError
from bcgan.io import atomic_hdf5

FORMAT_KIND = "perturbation"


@dataclass
class Perturbation:
    variant: str
    t0: float
    epsilon: np.ndarray          # (E,) float64
    temperature: np.ndarray      # (E,) float32, the conditioning temperature t0 + ε
    labels: np.ndarray           # (E,) float64, G.labels(temperature) (class ids for CGAN)
    noise_seed: np.ndarray       # (R,) uint64
    z: np.ndarray                # (R, z_dim) float32
    reference: np.ndarray        # (R, L, L) float32 continuous output at ε = 0
    continuous: np.ndarray       # (R, E, L, L) float32
    changed_fraction: np.ndarray  # (R, E) fraction of pixels whose binarised value changed
    mean_abs_delta: np.ndarray    # (R, E) mean |continuous - reference|

    @property
    def images(self) -> np.ndarray:
        return binarise(self.continuous)

    @property
    def reference_images(self) -> np.ndarray:
        return binarise(self.reference)


def binarise(x: np.ndarray) -> np.ndarray:
    """tanh output -> uint8 0/255 (255 where output > 0, the spin +1 of the contract)."""
    return np.where(np.asarray(x) > 0, 255, 0).astype(np.uint8)


def noise_seeds(seed: int, rows: int) -> np.ndarray:
    """Recorded per-row noise seeds: seed, seed+1, ...; the same for every variant (shared noise)."""
    if rows < 1:
        raise UserError(f"noise rows must be >= 1, got {rows}")
    if seed < 0:
        raise UserError(f"seed must be >= 0, got {seed}")
    return (np.uint64(seed) + np.arange(rows, dtype=np.uint64)).astype(np.uint64)


def noise_from_seeds(seeds, z_dim: int) -> torch.Tensor:
    """(R, z_dim) standard normal noise, row i from its own seeded generator (independent of R)."""
    rows = [torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return torch.stack(rows)


@torch.no_grad()
def perturbation_sweep(generator, epsilons, *, t0: float, seeds, variant: str | None = None) -> Perturbation:
    """Images of ``generator`` at T = t0 + ε for every ε (and the reference at ε = 0), fixed noise."""
    eps = np.asarray(list(epsilons), dtype=np.float64).reshape(-1)
    if eps.size == 0 or not np.all(np.isfinite(eps)):
        raise UserError("epsilons must be a non-empty list of finite numbers")
    seeds = np.asarray(seeds, dtype=np.uint64).reshape(-1)
    was_training = generator.training
    generator.eval()
    try:
        z = noise_from_seeds(seeds, generator.z_dim)
        temps = (np.float64(t0) + eps).astype(np.float32)

        def run(t32: np.float32):
            labels = generator.labels(torch.full((len(seeds),), float(t32), dtype=torch.float32))
            out = generator(z, labels)[:, 0].to(torch.float32).cpu().numpy()
            return out, float(labels[0])

        reference, _ = run(np.float32(t0))
        outs, labs = zip(*(run(t) for t in temps))
    finally:
        generator.train(was_training)
    continuous = np.stack(outs, axis=1)  # (R, E, L, L)
    changed = (binarise(continuous) != binarise(reference)[:, None]).mean(axis=(2, 3))
    delta = np.abs(continuous.astype(np.float64) - reference[:, None]).mean(axis=(2, 3))
    return Perturbation(variant or generator.spec.name, float(t0), eps, temps, np.asarray(labs, np.float64),
                        seeds, z.numpy(), reference, continuous, changed, delta)


def write_perturbation(path, p: Perturbation, **attrs) -> None:
    """HDF5, atomically: continuous + binarised images, the label values used, per-image change stats."""
    with atomic_hdf5(path) as f:
        for name in ("epsilon", "temperature", "labels", "noise_seed", "z", "reference", "continuous",
                     "changed_fraction", "mean_abs_delta"):
            f.create_dataset(name, data=getattr(p, name))
        f.create_dataset("images", data=p.images, compression="gzip")
        f.create_dataset("reference_images", data=p.reference_images, compression="gzip")
        f.attrs.update({"kind": FORMAT_KIND, "variant": p.variant, "t0": p.t0, **attrs})


def read_perturbation(path) -> Perturbation:
    """Read a file written by :func:`write_perturbation`; foreign/truncated file -> UserError naming it."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("kind") != FORMAT_KIND:
                raise UserError(f"{path}: not a perturbation file (attr kind != {FORMAT_KIND!r})")
            d = {k: f[k][()] for k in ("epsilon", "temperature", "labels", "noise_seed", "z", "reference",
                                       "continuous", "changed_fraction", "mean_abs_delta")}
            return Perturbation(str(f.attrs["variant"]), float(f.attrs["t0"]), **d)
    except (OSError, KeyError) as exc:
        raise UserError(f"{path}: not a readable perturbation file ({type(exc).__name__})") from None
