"""Generated image sets for evaluation (paper §4, Figs 3–4): a temperature grid, fixed per-image noise.

Why this layout: the paper generates images "for temperatures ranging from 0 and 2 Tc", each
temperature sampled 100 times, and compares the PSD parameters of the generated images with those
of real images. We condition on ``n_temperatures`` evenly spaced temperatures over the dataset range
[t_min, t_max] (t_max = 2 Tc), with ``per_temperature`` images each.

Image ``i = temperature_index * per_temperature + replicate`` gets its noise vector from its own
recorded seed ``noise_seed[i] = SeedSequence(seed, spawn_key=(i,))`` (64 bits). The index does not
depend on the variant, so every variant sees the SAME noise for the same (T, replicate): differences
between variants are differences of the models, not of the draws, and any one image can be
regenerated from (generator file, T, noise_seed) alone. The noise vector is the first ``z_dim``
standard normals of a PCG64 stream seeded with ``noise_seed`` (float32), so variants with the same
z_dim get identical z, and numpy guarantees the stream across platforms.

G runs in eval mode (BatchNorm running statistics, so an image does not depend on its batch
neighbours) without gradients; its tanh output is thresholded at 0 into Ising spins stored as
uint8 0/255 (255 = spin up), the format of the real data. On CPU, equal inputs, thread count and
batch size give bit-identical files.
"""

from __future__ import annotations

import logging

import numpy as np

from bcgan.errors import UserError

log = logging.getLogger(__name__)

__all__ = ["temperature_grid", "noise_seeds", "noise_vectors", "generate", "sample_grid"]


def temperature_grid(t_min: float, t_max: float, n_temperatures: int) -> np.ndarray:
    """``n_temperatures`` evenly spaced conditioning temperatures over [t_min, t_max] (float32, both ends)."""
    if n_temperatures < 1:
        raise UserError(f"n_temperatures must be >= 1, got {n_temperatures}")
    if not (np.isfinite(t_min) and np.isfinite(t_max) and t_max > t_min):
        raise UserError(f"temperature range must be finite with t_min < t_max, got {t_min}, {t_max}")
    if n_temperatures == 1:
        return np.array([0.5 * (t_min + t_max)], np.float32)
    return np.linspace(t_min, t_max, n_temperatures).astype(np.float32)


def noise_seeds(seed: int, n_images: int, first_index: int = 0) -> np.ndarray:
    """uint64 noise seed of images first_index .. first_index + n_images - 1 (variant independent)."""
    if seed < 0 or n_images < 0 or first_index < 0:
        raise UserError(f"seed, image count and first index must be >= 0; got {seed}, {n_images}, {first_index}")
    out = np.empty(n_images, np.uint64)
    for k in range(n_images):
        out[k] = np.random.SeedSequence(seed, spawn_key=(first_index + k,)).generate_state(1, np.uint64)[0]
    return out


def noise_vectors(seeds, z_dim: int) -> np.ndarray:
    """(n, z_dim) float32 standard normal noise, row k drawn from a PCG64 stream seeded with seeds[k]."""
    seeds = np.asarray(seeds, np.uint64).ravel()
    if z_dim < 1:
        raise UserError(f"z_dim must be >= 1, got {z_dim}")
    out = np.empty((seeds.size, z_dim), np.float32)
    for k, s in enumerate(seeds):
        out[k] = np.random.Generator(np.random.PCG64(int(s))).standard_normal(z_dim, dtype=np.float32)
    return out


def generate(generator, temperatures, seeds, *, batch_size: int = 256, device="cpu", precision: str = "fp32",
             progress: bool | None = None) -> np.ndarray:
    """Images uint8 0/255 (n, L, L) from G at conditioning ``temperatures`` with noise from ``seeds``.

    ``precision`` is the one G was trained in ("bf16": bf16 autocast, label embeddings in float32).
    """
    import torch
    from tqdm import tqdm

    from bcgan.nets.precision import autocast, memory_format

    temperatures = np.asarray(temperatures, np.float32).ravel()
    seeds = np.asarray(seeds, np.uint64).ravel()
    if temperatures.shape != seeds.shape:
        raise UserError(f"{temperatures.size} temperatures but {seeds.size} noise seeds")
    if batch_size < 1:
        raise UserError(f"batch size must be >= 1, got {batch_size}")
    generator = generator.to(device, memory_format=memory_format(precision, device)).eval()
    L = int(generator.image_size)
    out = np.empty((temperatures.size, L, L), np.uint8)
    starts = range(0, temperatures.size, batch_size)
    with torch.inference_mode():
        for s in tqdm(starts, desc="sampling", unit="batch", disable=None if progress is None else not progress):
            t = temperatures[s:s + batch_size]
            z = torch.from_numpy(noise_vectors(seeds[s:s + batch_size], generator.z_dim)).to(device)
            labels = generator.labels(torch.from_numpy(t)).to(device)
            with autocast(torch.device(device), precision):
                x = generator(z, labels)[:, 0]
            out[s:s + t.size] = np.where((x > 0).cpu().numpy(), 255, 0).astype(np.uint8)
    return out


def sample_grid(generator, *, t_min: float, t_max: float, n_temperatures: int, per_temperature: int, seed: int,
                batch_size: int = 256, device="cpu", precision: str = "fp32") -> dict:
    """The evaluation set of one generator (module doc): images, temperature, noise_seed, replicate.

    Images are ordered temperature-major: image i has T = grid[i // per_temperature] and replicate
    i % per_temperature.
    """
    if per_temperature < 1:
        raise UserError(f"per_temperature must be >= 1, got {per_temperature}")
    grid = temperature_grid(t_min, t_max, n_temperatures)
    temperature = np.repeat(grid, per_temperature)
    seeds = noise_seeds(seed, temperature.size)
    images = generate(generator, temperature, seeds, batch_size=batch_size, device=device, precision=precision)
    return {"images": images, "temperature": temperature, "noise_seed": seeds,
            "replicate": np.tile(np.arange(per_temperature), grid.size), "grid": grid}
