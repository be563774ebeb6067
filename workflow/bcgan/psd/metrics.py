"""Quality metrics of generated Ising images beyond the paper's figures (temperature error, PSD distance, diversity).

Why: Figs 3–4 show *how* each generator fails; these numbers make the comparison checkable.

* Temperature error: |T_est − T_cond| per image, where T_est is the PSD response model's inverse map
  of the generated image (bcgan.psd.response.estimate_temperature), summarised overall and below / near
  / above Tc with ``bcgan.psd.response.accuracy_table`` so that the same regions and statistics apply
  to the response model's own error on held-out real images (the floor no generator can beat).
* PSD distance to real data: for every conditioning temperature T of the grid, the mean generated
  (slope, intercept) m(T) is compared with the real-data response mean mu(T) in units of the real
  per-image spread Sigma(T): D(T) = sqrt((m − mu)^T Sigma^-1 (m − mu)) (Mahalanobis distance of the
  mean); the metric is the average of D(T) over the grid. 0 = generated means on the real curve;
  1 = off by one real per-image standard deviation. It ignores the generated spread on purpose:
  mode collapse is measured by the diversity below, and a mean can be right while T_est is wrong only
  if the spread is wrong, which the temperature error catches.
* Energy per spin e = −(1/N) Σ_<ij> s_i s_j (J = 1, periodic nearest neighbours, −2 ordered,
  0 random) and magnetisation per spin m: the Ising observables, compared with real images at the
  same T. Real data has both signs of m at every T, so the fraction of images with m > 0 should be
  about one half; a generator that makes only one sign has learnt half the physics.
* Diversity at fixed T: the mean, over all pairs of images generated at the same T, of the fraction
  of pixels in which the two images disagree, averaged over the grid. Identical images give 0,
  independent random images 0.5. ``flip_invariant=True`` uses min(d, 1 − d) per pair, i.e. an image
  and its global spin flip count as the same microstructure (Ising symmetry): real low-T images are
  all-up or all-down, so raw diversity is ~0.5 there but the flip-invariant one ~0. Mode collapse
  shows as generated diversity far below the same statistic on real images near that T.
"""

from __future__ import annotations

import numpy as np

from bcgan.errors import UserError

__all__ = ["temperature_errors", "psd_distance", "pairwise_disagreement", "diversity", "nearest_sets",
           "response_at", "energy_per_spin", "magnetisation", "mean_energy_by_group"]


def temperature_errors(t_cond, t_est, *, tc: float, near_frac: float = 0.1) -> dict:
    """{'mae_all', 'mae_below', 'mae_near', 'mae_above', 'bias_all', 'n_below', ...} of |T_est − T_cond|."""
    from bcgan.psd.response import accuracy_table

    table = accuracy_table(t_cond, t_est, tc=tc, near_frac=near_frac)
    out = {}
    for row in table.itertuples():
        out[f"mae_{row.region}"] = row.mae
        out[f"n_{row.region}"] = row.n
    out["bias_all"] = float(table.loc[table["region"] == "all", "bias"].iloc[0])
    return out


def response_at(model, t) -> tuple[np.ndarray, np.ndarray]:
    """Response mean (n, 2) and covariance (n, 2, 2) at temperatures t, linear in T on the dense grid.

    Temperatures outside the grid take the end values. A convex combination of two positive definite
    covariances is positive definite, so the interpolated covariance stays invertible.
    """
    t = np.asarray(t, np.float64).ravel()
    g = model.t_grid
    mean = np.stack([np.interp(t, g, model.mean[:, j]) for j in range(2)], axis=1)
    cov = np.empty((t.size, 2, 2))
    for a in range(2):
        for b in range(2):
            cov[:, a, b] = np.interp(t, g, model.cov[:, a, b])
    return mean, cov


def _groups(keys) -> tuple[np.ndarray, np.ndarray]:
    keys = np.asarray(keys).ravel()
    if keys.size == 0:
        raise UserError("no images to evaluate")
    return np.unique(keys, return_inverse=True)


def psd_distance(groups, temperature, slope, intercept, model) -> tuple[float, dict]:
    """Mean over groups of the Mahalanobis distance of the group's mean (slope, intercept) to the response.

    ``groups``: a label per image (the conditioning T for generated images); each group is compared
    with the response at its mean temperature. Returns (mean distance, per-group arrays
    {'t', 'n', 'distance', 'mean_slope', 'mean_intercept'}).
    """
    keys, inv = _groups(groups)
    t = np.asarray(temperature, np.float64).ravel()
    x = np.stack([np.asarray(slope, np.float64).ravel(), np.asarray(intercept, np.float64).ravel()], axis=1)
    if not (t.size == x.shape[0] == inv.size):
        raise UserError(f"psd_distance: {inv.size} labels, {t.size} temperatures, {x.shape[0]} PSD fits")
    if not np.isfinite(x).all():
        raise UserError("psd_distance: PSD slope/intercept contain NaN or infinite values")
    n = np.bincount(inv, minlength=keys.size)
    t_mean = np.bincount(inv, t, minlength=keys.size) / n
    m = np.stack([np.bincount(inv, x[:, j], minlength=keys.size) / n for j in range(2)], axis=1)
    mu, cov = response_at(model, t_mean)
    d = m - mu
    sol = np.linalg.solve(cov, d[:, :, None])[:, :, 0]
    dist = np.sqrt(np.maximum(np.einsum("ij,ij->i", d, sol), 0.0))
    return float(dist.mean()), {"t": t_mean, "n": n, "distance": dist, "mean_slope": m[:, 0],
                                "mean_intercept": m[:, 1]}


def pairwise_disagreement(images) -> np.ndarray:
    """(n, n) fraction of pixels in which images i and j differ (images uint8 0/255 or bool spins)."""
    a = np.asarray(images)
    if a.ndim != 3:
        raise UserError(f"images must have shape (n, L, L), got {a.shape}")
    up = (a > 127 if a.dtype == np.uint8 else a.astype(bool)).reshape(a.shape[0], -1).astype(np.float64)
    both_up = up @ up.T
    k = up.sum(axis=1)
    # differ = up_i (1 - up_j) + (1 - up_i) up_j summed over pixels = k_i + k_j - 2 both_up
    return (k[:, None] + k[None, :] - 2.0 * both_up) / up.shape[1]


def shifted_disagreement(images) -> np.ndarray:
    """(n, n) fraction of pixels in which images i and j differ at the best cyclic shift and spin flip of j.

    Why: a periodic lattice, its translates and its spin flip are one physical state, so a generator that
    answers new noise with a shifted copy makes no new state although its pixels differ. With spins
    s = ±1 and N pixels, disagreement = (1 - c/N) / 2 for the overlap c = Σ s_i s_j; the best shift and
    flip maximise |c| over every cyclic shift, all at once by FFT (cross-correlation theorem).
    """
    a = np.asarray(images)
    if a.ndim != 3:
        raise UserError(f"images must have shape (n, L, L), got {a.shape}")
    spins = np.where(a > 127 if a.dtype == np.uint8 else a.astype(bool), 1.0, -1.0)
    f = np.fft.rfft2(spins)
    n, N = a.shape[0], a.shape[1] * a.shape[2]
    out = np.zeros((n, n))
    for i in range(n):
        overlap = np.fft.irfft2(f[i][None] * np.conj(f), s=a.shape[1:])  # (n, L, L): c at every shift
        out[i] = (1.0 - np.abs(overlap).reshape(n, -1).max(axis=1) / N) / 2.0
    return np.clip(out, 0.0, 0.5)


def diversity(images, groups, *, flip_invariant: bool = False, shift_invariant: bool = False) -> tuple[float, dict]:
    """Mean over groups of the mean pairwise disagreement within the group (module doc).

    ``shift_invariant``: up to every cyclic shift and the spin flip (:func:`shifted_disagreement`).
    Groups with fewer than two images are skipped. Returns (mean, {'key', 'n', 'diversity'}).
    """
    images = np.asarray(images)
    keys, inv = _groups(groups)
    if inv.size != images.shape[0]:
        raise UserError(f"diversity: {images.shape[0]} images but {inv.size} group labels")
    vals, kept, counts = [], [], []
    for g in range(keys.size):
        sel = np.flatnonzero(inv == g)
        if sel.size < 2:
            continue
        d = shifted_disagreement(images[sel]) if shift_invariant else pairwise_disagreement(images[sel])
        if flip_invariant and not shift_invariant:
            d = np.minimum(d, 1.0 - d)
        iu = np.triu_indices(sel.size, 1)
        vals.append(float(d[iu].mean()))
        kept.append(keys[g])
        counts.append(sel.size)
    if not vals:
        raise UserError("diversity needs at least two images at one temperature")
    return float(np.mean(vals)), {"key": np.array(kept), "n": np.array(counts), "diversity": np.array(vals)}


def nearest_sets(temperature, targets, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``size`` images whose temperature is nearest each target, and the target index of each.

    Used to build real-image reference sets "at" each grid temperature from continuously sampled real data.
    """
    t = np.asarray(temperature, np.float64).ravel()
    if size < 1 or t.size == 0:
        raise UserError(f"nearest_sets needs size >= 1 and some images; got size {size}, {t.size} images")
    size = min(size, t.size)
    idx, grp = [], []
    for k, target in enumerate(np.asarray(targets, np.float64).ravel()):
        near = np.argsort(np.abs(t - target), kind="stable")[:size]
        idx.append(near)
        grp.append(np.full(size, k))
    return np.concatenate(idx), np.concatenate(grp)


def _spins(images) -> np.ndarray:
    a = np.asarray(images)
    if a.ndim != 3:
        raise UserError(f"images must have shape (n, L, L), got {a.shape}")
    up = a > 127 if a.dtype == np.uint8 else a > 0
    return np.where(up, 1.0, -1.0)


def energy_per_spin(images) -> np.ndarray:
    """(n,) nearest-neighbour energy per spin of each image, J = 1 and periodic boundaries (module doc)."""
    s = _spins(images)
    bonds = s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)
    return -bonds.mean(axis=(1, 2))


def mean_energy_by_group(images, groups) -> tuple[np.ndarray, np.ndarray]:
    """(sorted group keys, mean energy per spin of the images of each group), e.g. grouped by T."""
    keys, inv = _groups(groups)
    return keys, np.bincount(inv, energy_per_spin(images), minlength=keys.size) / np.bincount(inv, minlength=keys.size)


def magnetisation(images) -> np.ndarray:
    """(n,) magnetisation per spin of each image, in [−1, 1]."""
    return _spins(images).mean(axis=(1, 2))


BINADES = ((1.0, 2.0), (2.0, 4.0))  # [1, 2) and [2, 4): float32 exponent fixed, only the mantissa changes


def _spearman(x, y) -> float:
    from scipy.stats import spearmanr

    if len(x) < 3 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def t_response(t_cond, t_est) -> dict:
    """Mean T_est per conditioning T and its rank correlation with T, over the grid and inside each
    binade of BINADES ("reads the mantissa": a code that follows only the exponent is flat inside a
    binade), with the number of grid points each rests on (nan below 3 points)."""
    t_cond = np.asarray(t_cond, np.float64)
    t_est = np.asarray(t_est, np.float64)
    grid = np.unique(t_cond)
    mean = np.array([t_est[t_cond == g].mean() for g in grid])
    out = {"grid": grid, "mean_t_est": mean, "spearman_all": _spearman(grid, mean), "n_all": int(grid.size)}
    for lo, hi in BINADES:
        sel = (grid >= lo) & (grid < hi)
        out[f"spearman_{lo:g}_{hi:g}"] = _spearman(grid[sel], mean[sel])
        out[f"n_{lo:g}_{hi:g}"] = int(sel.sum())
    return out
