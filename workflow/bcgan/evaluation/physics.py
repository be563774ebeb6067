"""The physics of a set of Ising lattices at one temperature: the second yardstick beside the PSD one.

Why: every verdict of the PSD yardstick rests on one response model. Physicists judge generated Ising
lattices by the thermodynamics they carry (Liu et al. 2017, Zhang 2021, Lee et al. 2024) and materials
scientists judge microstructures by two-point statistics (Kalidindi's Materials Knowledge Systems), so
the same images are also measured here, against fresh Monte Carlo lattices at the same temperatures.

Conventions (J = k_B = 1, ±1 spins, periodic nearest neighbours, N = L², per spin):

* m = Σ s / N and e = −Σ_<ij> s_i s_j / N (−2 ordered, 0 random). ⟨·⟩ is the mean over the images of a
  set, i.e. over **independent quenches**: each real image is its own Metropolis run of L³ attempted
  flips from random spins (the dataset's recipe), not a sample of one equilibrium chain. Below Tc the
  lattices are not equilibrated, so χ and C are ensemble spreads of quenches and their peaks need not
  sit at Tc; the comparison is with real lattices made the same way, which is what G learnt from.
* χ = N·var(|m|)/T, C = N·var(e)/T², with sample variances (n − 1); U₄ = 1 − ⟨m⁴⟩/(3⟨m²⟩²).
* G(r): the connected two-point function of the Z2-symmetrised ensemble (every image and its spin flip
  equally likely, so ⟨s⟩ = 0 and G(r) = ⟨s_x s_{x+r}⟩ over images and sites; no per-image mean is
  subtracted), by FFT, in bins of the minimum-image distance |r| ≤ L/2: bin k holds k − ½ ≤ |r| < k + ½.
  G(0) = 1.
* S(k) = ⟨|Σ_x s_x e^{−ik·x}|²⟩ / N, and the second-moment correlation length
  ξ₂ = √(S(0)/S(k_min) − 1) / (2 sin(π/L)), with S(k_min) the mean over the four smallest non-zero
  wave vectors; NaN where S(0) ≤ S(k_min) (anti-correlated images); flagged where ξ₂ > 0.4 L, where the
  lattice is too small for it to mean a length.
* Domains: connected same-spin clusters (4-neighbour, periodic), labelled per image; the mean domain
  size is N / (number of domains) in sites and the largest domain's fraction is its size / N, each
  averaged over images. A shape statistic the PSD does not fix: two images with the same spectrum can
  have their spins in one domain or in many.
* Peak temperatures of χ and C: the highest maximum inside the grid (``peak_temperature``); quenched
  lattices' χ and C may have none (they grow towards T → 0), which is then reported as such.
* Uncertainties: the bootstrap over images (``bootstrap`` resamples with a fixed seed): the standard
  deviation of each estimator at the set's n.

Not independent of the PSD yardstick: ⟨e⟩ per spin is −2 × ⟨s_x s_{x+r}⟩ at the nearest-neighbour
step (which bin 1 of G(r) holds with the diagonal), and G(r) and the PSD (the power spectrum S(k)) are
a Fourier pair. ⟨|m|⟩, χ, C, U₄ and the domain statistics are moments and shapes the mean PSD slope
and intercept do not determine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bcgan.errors import UserError
from bcgan.io import read_csv

SCALARS = ["abs_m", "e", "chi", "heat_capacity", "binder", "xi", "domain_size", "largest_domain"]
LABELS = {  # axis labels with units (J = k_B = 1)
    "abs_m": "⟨|m|⟩", "e": "⟨e⟩ [J per spin]", "chi": "χ [1/J]", "heat_capacity": "C [k_B per spin]",
    "binder": "U₄", "xi": "ξ₂ [lattice sites]", "domain_size": "mean domain size [sites]",
    "largest_domain": "largest domain / N",
}
NAMES = {  # short names for table headings
    "abs_m": "⟨|m|⟩", "e": "⟨e⟩", "chi": "χ", "heat_capacity": "C", "binder": "U₄", "xi": "ξ₂",
    "domain_size": "domain size", "largest_domain": "largest domain",
}
XI_FLAG = 0.4  # ξ₂ above this fraction of L is flagged
COLUMNS = ("source", "t", "n", "observable", "value", "sd", "flag")  # a ``bcgan physics`` table


def spins(images) -> np.ndarray:
    """(n, L, L) int8 ±1 spins of uint8 0/255 images (> 127 = up) or of ±1 / 0-1 values (> 0 = up)."""
    a = np.asarray(images)
    if a.ndim != 3 or a.shape[1] != a.shape[2] or a.shape[1] < 2:
        raise UserError(f"physics: images must have shape (n, L, L) with L >= 2, got {a.shape}")
    up = a > 127 if a.dtype == np.uint8 else a > 0
    return np.where(up, 1, -1).astype(np.int8)


def distance_bins(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin of every displacement (L, L), counts per bin) for r = 0 .. L/2; -1 marks |r| > L/2."""
    d = np.minimum(np.arange(size), size - np.arange(size))
    r = np.sqrt(d[:, None] ** 2 + d[None, :] ** 2)
    k = np.floor(r + 0.5).astype(np.int64)
    k[r > size / 2] = -1
    return k, np.bincount(k[k >= 0], minlength=size // 2 + 1)


@njit(cache=True)
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _domains(s, counts, largest):
    """Per image: number of same-spin clusters (4-neighbour, periodic) and the largest one's size."""
    n, size, _ = s.shape
    sites = size * size
    parent = np.empty(sites, np.int64)
    sizes = np.empty(sites, np.int64)
    for img in range(n):
        for i in range(sites):
            parent[i] = i
        for y in range(size):
            for x in range(size):
                here = y * size + x
                for dy, dx in ((0, 1), (1, 0)):  # right and down neighbours; periodic
                    yy, xx = (y + dy) % size, (x + dx) % size
                    if s[img, y, x] == s[img, yy, xx]:
                        a, b = _find(parent, here), _find(parent, yy * size + xx)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
        sizes[:] = 0
        for i in range(sites):
            sizes[_find(parent, i)] += 1
        c, big = 0, 0
        for i in range(sites):
            if sizes[i] > 0:
                c += 1
                big = max(big, sizes[i])
        counts[img] = c
        largest[img] = big


def domain_statistics(s) -> tuple[np.ndarray, np.ndarray]:
    """(number of domains, largest domain size in sites) per image of a (n, L, L) ±1 stack."""
    s = np.ascontiguousarray(s, dtype=np.int8)
    counts, largest = np.empty(s.shape[0], np.int64), np.empty(s.shape[0], np.int64)
    _domains(s, counts, largest)
    return counts, largest


def per_image(s) -> dict:
    """The per-image quantities every ensemble estimator is built from (arrays of length n; g: (n, L/2+1))."""
    s = np.asarray(s)
    n, size, _ = s.shape
    sites = size * size
    f = s.astype(np.float64)
    m = f.mean(axis=(1, 2))
    e = -(f * np.roll(f, 1, axis=1) + f * np.roll(f, 1, axis=2)).mean(axis=(1, 2))
    power = np.abs(np.fft.rfft2(f)) ** 2 / sites  # S(k) of each image (k_x >= 0 half: s is real)
    corr = np.fft.irfft2(power, s=(size, size))  # (1/N) Σ_x s_x s_{x+r}
    bins, counts = distance_bins(size)
    members = (bins.ravel()[:, None] == np.arange(counts.size)[None, :]).astype(np.float64)  # (N, bins)
    g = corr.reshape(n, sites) @ members / counts
    n_domains, largest = domain_statistics(s)
    return {"m": m, "e": e, "s0": power[:, 0, 0], "s_kmin": 0.5 * (power[:, 0, 1] + power[:, 1, 0]),
            "g": g, "domain_size": sites / n_domains, "largest_domain": largest / sites,
            "size": size}


def ensemble(q: dict, temperature: float, index=None) -> dict:
    """The estimators of SCALARS and G(r) over the images ``index`` of per-image quantities ``q``."""
    sel = slice(None) if index is None else index
    size = q["size"]
    sites = size * size
    m, e = q["m"][sel], q["e"][sel]
    abs_m, m2 = np.abs(m), m * m
    s0, sk = q["s0"][sel].mean(), q["s_kmin"][sel].mean()
    ratio = s0 / sk if sk > 0 else np.nan
    xi = np.sqrt(ratio - 1.0) / (2.0 * np.sin(np.pi / size)) if ratio > 1 else np.nan
    return {"abs_m": abs_m.mean(), "e": e.mean(),
            "chi": sites * abs_m.var(ddof=1) / temperature,
            "heat_capacity": sites * e.var(ddof=1) / temperature**2,
            "binder": 1.0 - (m2 * m2).mean() / (3.0 * m2.mean() ** 2) if m2.mean() > 0 else np.nan,
            "xi": xi, "domain_size": q["domain_size"][sel].mean(),
            "largest_domain": q["largest_domain"][sel].mean(), "g": q["g"][sel].mean(axis=0)}


def observables(images, temperature, *, bootstrap: int = 200, seed: int = 0):
    """Long table (pandas) of every estimator per temperature: columns t, n, observable, value, sd, flag.

    ``observable`` is one of SCALARS or ``G(r=k)``; ``sd`` is the bootstrap sd over images; ``flag`` is
    ``xi>0.4L`` where ξ₂ is too large for the lattice, else empty.
    """
    import pandas as pd

    s = spins(images)
    t = np.asarray(temperature, np.float64).ravel()
    if t.size != s.shape[0]:
        raise UserError(f"physics: {s.shape[0]} images but {t.size} temperatures")
    if not (np.isfinite(t).all() and (t > 0).all()):
        raise UserError("physics: temperatures must be finite and > 0")
    if bootstrap < 2:
        raise UserError(f"physics: bootstrap needs >= 2 resamples, got {bootstrap}")
    rng = np.random.default_rng(seed)
    rows = []
    for temp in np.unique(t):
        idx = np.flatnonzero(t == temp)
        if idx.size < 2:
            raise UserError(f"physics: T = {temp:g} has {idx.size} image; variances need >= 2")
        q = per_image(s[idx])
        point = ensemble(q, temp)
        draws = [ensemble(q, temp, rng.integers(0, idx.size, idx.size)) for _ in range(bootstrap)]
        size = q["size"]
        for name in SCALARS:
            values = np.array([d[name] for d in draws], np.float64)
            finite = values[np.isfinite(values)]
            sd = float(finite.std(ddof=1)) if finite.size > 1 else np.nan
            flag = "xi>0.4L" if name == "xi" and np.isfinite(point["xi"]) and point["xi"] > XI_FLAG * size else ""
            rows.append((float(temp), idx.size, name, float(point[name]), sd, flag))
        g_sd = np.stack([d["g"] for d in draws]).std(axis=0, ddof=1)
        rows += [(float(temp), idx.size, f"G(r={k})", float(v), float(sd), "")
                 for k, (v, sd) in enumerate(zip(point["g"], g_sd))]
    return pd.DataFrame(rows, columns=["t", "n", "observable", "value", "sd", "flag"])


def peak_temperature(t, y) -> float:
    """Temperature of the highest interior local maximum of y(t) on a uniform grid, refined by the parabola
    through it and its two neighbours; NaN where y has none (monotone, or only at an end of the grid).

    Why interior: χ and C carry 1/T and 1/T² while the spread of quenched lattices stays finite as
    T → 0, so their global maximum sits at the lowest grid temperature for real lattices and models
    alike and would locate nothing; a transition shows as a maximum inside the grid.
    """
    t, y = np.asarray(t, np.float64), np.asarray(y, np.float64)
    inner = [k for k in range(1, y.size - 1)
             if np.isfinite(y[k - 1 : k + 2]).all() and y[k] > y[k - 1] and y[k] >= y[k + 1]]
    if not inner:
        return float("nan")
    k = max(inner, key=lambda i: y[i])
    curvature = y[k - 1] - 2 * y[k] + y[k + 1]
    if curvature >= 0:  # a plateau: no parabola through it
        return float(t[k])
    return float(t[k] + 0.5 * (t[k + 1] - t[k - 1]) / 2 * (y[k - 1] - y[k + 1]) / curvature)


def wide(frame, names=SCALARS):
    """(temperatures, {observable: values}, {observable: sds}) of a long table, sorted by T."""
    out, sds = {}, {}
    grid = np.unique(frame["t"].to_numpy(float))
    for name in names:
        sub = frame[frame["observable"] == name].set_index("t").reindex(grid)
        out[name], sds[name] = sub["value"].to_numpy(float), sub["sd"].to_numpy(float)
    return grid, out, sds


def distances(model, real) -> dict:
    """Per observable: the mean over the grid of |model − real| / (the real estimator's bootstrap sd),
    and the χ- and C-peak temperatures of the model. Both tables must hold the same temperatures and n."""
    t_m, v_m, _ = wide(model)
    t_r, v_r, sd_r = wide(real)
    if t_m.shape != t_r.shape or not np.allclose(t_m, t_r, rtol=0, atol=1e-6):
        raise UserError(f"physics: the model's temperatures ({t_m.size}) differ from the reference's ({t_r.size})")
    n_m, n_r = sorted(set(model["n"])), sorted(set(real["n"]))
    if n_m != n_r:
        raise UserError(f"physics: the model has {n_m} images per temperature, the reference {n_r}: "
                        "distances in units of the reference's sd need the same n")
    out = {}
    for name in SCALARS:
        gap = np.abs(v_m[name] - v_r[name])
        with np.errstate(divide="ignore", invalid="ignore"):  # a real sd of 0: equal is 0, unequal inf
            z = np.where(sd_r[name] > 0, gap / sd_r[name], np.where(gap == 0, 0.0, np.inf))
        z = z[~np.isnan(z)]  # NaN: undefined on either side (ξ₂ of anti-correlated images)
        out[f"dist_{name}"] = float(z.mean()) if z.size else float("nan")
    out["peak_chi"] = peak_temperature(t_m, v_m["chi"])
    out["peak_heat_capacity"] = peak_temperature(t_m, v_m["heat_capacity"])
    return out


def read_observables(path):
    """(source name, frame) of a ``bcgan physics`` table (COLUMNS; one source per file)."""
    frame = read_csv(path, COLUMNS, what="physics observables")
    sources = frame["source"].unique()
    if len(sources) != 1:
        raise UserError(f"physics observables {path}: expected one source, found {list(sources)}")
    frame["flag"] = frame["flag"].fillna("")
    return str(sources[0]), frame
