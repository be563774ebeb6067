"""Temperature dispersion: how wide in T the images made at one label are.

The physics yardstick's χ and C are variances over the images of a label, so an arm can miss them by an
ensemble that is too narrow (one lattice per label) or too wide. This module says which, in units of T:
each image gets two temperatures of its own, T_psd from its spectrum (the PSD response model) and T_e,
the temperature at which the Monte Carlo lattices' mean energy per spin equals the image's. The spread of
either within a label, beside the Monte Carlo lattices' own, measures the width; the correlation of the
two images' deviations from their label's mean says whether an image that is "hotter" by its spectrum is
hotter by its energy too, as it is for real lattices. The two are not independent (⟨e⟩ = −2·G(1), and G
and the PSD are a Fourier pair), so a high correlation is consistency, not proof of physical lattices.
"""

from __future__ import annotations

import numpy as np

from bcgan.errors import UserError


def energy_curve(energy, temperature) -> tuple[np.ndarray, np.ndarray]:
    """(T, ⟨e⟩) per distinct temperature of a Monte Carlo set, made non-decreasing in T (a running max
    removes sampling wiggles, so that it can be inverted)."""
    energy = np.asarray(energy, np.float64).ravel()
    temperature = np.asarray(temperature, np.float64).ravel()
    if energy.shape != temperature.shape or energy.size == 0:
        raise UserError(f"energy curve needs equal, non-empty arrays; got {energy.size} and {temperature.size}")
    t, inverse = np.unique(temperature, return_inverse=True)
    if t.size < 2:
        raise UserError(f"energy curve needs at least 2 distinct temperatures, got {t.size}")
    mean = np.bincount(inverse, energy) / np.bincount(inverse)
    return t, np.maximum.accumulate(mean)


def temperature_of_energy(energy, curve) -> np.ndarray:
    """T_e: the temperature at which the curve's ⟨e⟩ equals each energy, linear between its points and
    clipped to its range (an image colder or hotter than every Monte Carlo mean gets the end temperature)."""
    t, e = curve
    return np.interp(np.asarray(energy, np.float64), e, t)


def dispersion(labels, t_psd, t_energy, *, tc: float, near_frac: float) -> dict:
    """Per region (below / near / above Tc, as T-MAE's): the mean over labels of the within-label sd of
    T_psd and of T_e (n − 1), and the correlation of the two deviations from their label's mean."""
    from bcgan.psd.response import region_of
    from bcgan.training.progress import REGIONS

    labels = np.asarray(labels, np.float64).ravel()
    t_psd = np.asarray(t_psd, np.float64).ravel()
    t_energy = np.asarray(t_energy, np.float64).ravel()
    if not labels.shape == t_psd.shape == t_energy.shape:
        raise UserError(f"dispersion needs one T_psd and one T_e per label; got {labels.size}, {t_psd.size}, "
                        f"{t_energy.size}")
    grid, inverse, dev_psd, sd_psd = within_label(labels, t_psd)
    _, _, dev_e, sd_e = within_label(labels, t_energy)
    grid_region = region_of(grid, tc=tc, near_frac=near_frac)
    out = {}
    for region in REGIONS:
        at = grid_region == region
        images = at[inverse]
        if not at.any():
            out[region] = {"sd_t_psd": np.nan, "sd_t_energy": np.nan, "correlation": np.nan}
            continue
        a, b = dev_psd[images], dev_e[images]
        spread = np.sqrt((a @ a) * (b @ b))
        out[region] = {"sd_t_psd": float(sd_psd[at].mean()), "sd_t_energy": float(sd_e[at].mean()),
                       "correlation": float(a @ b / spread) if spread > 0 else np.nan}
    return out


WIDTHS = ("t_energy", "chi", "heat_capacity")  # what the two-sided target compares with Monte Carlo's


def within_label(labels, values) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(distinct labels, each image's index into them, each value's deviation from its label's mean, the sd
    (n − 1) of ``values`` among the images of each label)."""
    labels = np.asarray(labels, np.float64).ravel()
    values = np.asarray(values, np.float64).ravel()
    grid, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise UserError(f"a within-label spread needs >= 2 images per temperature; T = {grid[counts.argmin()]:g} "
                        "has 1")
    dev = values - (np.bincount(inverse, values) / counts)[inverse]
    return grid, inverse, dev, np.sqrt(np.bincount(inverse, dev ** 2) / (counts - 1))


def region_means(grid, values, *, tc: float, near_frac: float) -> dict:
    """{region: mean of ``values`` over the grid temperatures in it} (NaN where the region has none)."""
    from bcgan.psd.response import region_of
    from bcgan.training.progress import REGIONS

    where = region_of(grid, tc=tc, near_frac=near_frac)
    values = np.asarray(values, np.float64)
    return {r: float(values[where == r].mean()) if (where == r).any() else np.nan for r in REGIONS}


def widths(images, temperature, table, curve, *, tc: float, near_frac: float) -> dict:
    """How wide one set of lattices is at each label, per region: {"t_energy": the mean within-label sd of
    T_e (T_e read off ``curve``), "chi", "heat_capacity": the mean χ and C (variances over the label's
    images, from ``table``, a ``bcgan.evaluation.physics.observables`` frame of the same images)}, each
    {region: value}. The two-sided target divides a model's by a Monte Carlo set's."""
    from bcgan.evaluation.physics import wide
    from bcgan.psd.metrics import energy_per_spin

    grid, _, _, sd = within_label(temperature, temperature_of_energy(energy_per_spin(images), curve))
    table_grid, value, _ = wide(table, ["chi", "heat_capacity"])
    if table_grid.shape != grid.shape or not np.allclose(table_grid, grid, rtol=0, atol=1e-6):
        raise UserError(f"widths: the physics table's {table_grid.size} temperatures are not the images' {grid.size}")
    return {"t_energy": region_means(grid, sd, tc=tc, near_frac=near_frac),
            **{k: region_means(grid, value[k], tc=tc, near_frac=near_frac) for k in ("chi", "heat_capacity")}}
