"""Temperature response model of the PSD parameters (paper Fig 2) and its inverse map.

Why: the paper judges a generated image by mapping its PSD (slope, intercept) back to a temperature
and comparing that with the conditioning temperature. The map is learned from real (training)
images, and its own error on held-out real images is the floor no generator can beat.

Forward model (``fit_response``):
  1. bin the training temperatures into ``n_bins`` equal-width bins over [min T, max T]; bins with
     fewer than ``min_count`` images are dropped;
  2. per bin: mean temperature and mean (slope, intercept); the 2x2 covariance of the residuals
     about the PCHIP mean curve (step 3), so the trend of the mean inside a bin does not count as spread;
  3. interpolate over the bin mean temperatures with monotone cubic PCHIP (no overshoot between bins,
     unlike a cubic spline): the two means, the log of the two standard deviations, and
     atanh(correlation) (so every interpolated covariance is positive definite); beyond the first /
     last bin centre (half a bin at most) the mean continues the end PCHIP piece and the spread is
     held constant;
  4. tabulate on a dense grid of ``grid_size`` temperatures spanning the training range.
     Standard deviations are floored at ``min_std`` so the covariance stays invertible.

Inverse map (``estimate_temperature``): for each image, the grid temperature that minimises the
Mahalanobis distance d^2(T) = (x - mu(T))^T Sigma(T)^-1 (x - mu(T)), i.e. the nearest point of the
dense response curve in coordinates whitened by the local spread (criterion "mahalanobis"), or the
Gaussian negative log-likelihood d^2 + ln det Sigma(T) (criterion "nll"). The minimum d^2 is also
returned: large values flag images unlike any real image at any temperature.

The low-temperature branch: below about 0.6 Tc all real images are (nearly) ordered; their PSD is
that of a few domain walls or isolated flipped spins, which barely depends on T, so the response
curve flattens and folds back and the per-T clouds overlap heavily. The inverse map then returns
some temperature within that flat stretch; its error there is large and is measured, not hidden, by
``accuracy_table`` (region "below"). Near Tc the curve is steep and the map is most precise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from bcgan.errors import UserError
from bcgan.io import atomic_path

__all__ = ["ResponseModel", "fit_response", "estimate_temperature", "accuracy_table", "region_of",
           "fit_with_model_settings",
           "save_response", "load_response", "FORMAT"]

FORMAT = "bcgan-psd-response/1"
CRITERIA = ("mahalanobis", "nll")


@dataclass
class ResponseModel:
    """Dense response curve: mean (slope, intercept) and covariance at each grid temperature."""

    t_grid: np.ndarray  # (G,) float64, increasing
    mean: np.ndarray  # (G, 2) float64: slope, intercept
    cov: np.ndarray  # (G, 2, 2) float64
    bin_t: np.ndarray  # (nb,) mean temperature of each kept bin
    bin_mean: np.ndarray  # (nb, 2)
    bin_cov: np.ndarray  # (nb, 2, 2)
    bin_count: np.ndarray  # (nb,) int
    meta: dict = field(default_factory=dict)  # L, k_min, k_max, floor, criterion, tc, n_images, ...

    @property
    def criterion(self) -> str:
        return self.meta.get("criterion", "mahalanobis")


def _check_params(slope, intercept, temperature=None):
    slope = np.asarray(slope, np.float64).ravel()
    intercept = np.asarray(intercept, np.float64).ravel()
    if slope.shape != intercept.shape:
        raise UserError(f"slope and intercept differ in length: {slope.size} vs {intercept.size}")
    if slope.size == 0:
        raise UserError("no PSD parameters given (empty image set)")
    if not (np.isfinite(slope).all() and np.isfinite(intercept).all()):
        raise UserError("PSD slope/intercept contain NaN or infinite values")
    if temperature is None:
        return slope, intercept
    temperature = np.asarray(temperature, np.float64).ravel()
    if temperature.shape != slope.shape:
        raise UserError(f"temperature length {temperature.size} differs from the {slope.size} PSD fits")
    if not np.isfinite(temperature).all():
        raise UserError("temperatures contain NaN or infinite values")
    return slope, intercept, temperature


def fit_response(slope, intercept, temperature, *, n_bins: int = 24, grid_size: int = 1024,
                 min_count: int = 5, min_std: float = 1e-3, criterion: str = "mahalanobis",
                 meta: dict | None = None) -> ResponseModel:
    """Fit the response model to training images' PSD parameters; see the module doc for the method."""
    slope, intercept, t = _check_params(slope, intercept, temperature)
    if n_bins < 2 or grid_size < 2 or min_count < 3:
        raise UserError(f"response needs n_bins >= 2, grid_size >= 2, min_count >= 3; "
                        f"got {n_bins}, {grid_size}, {min_count}")
    if criterion not in CRITERIA:
        raise UserError(f"response criterion must be one of {CRITERIA}; got {criterion!r}")
    t_lo, t_hi = float(t.min()), float(t.max())
    if not t_hi > t_lo:
        raise UserError(f"response needs training images at more than one temperature; all are T={t_lo}")
    edges = np.linspace(t_lo, t_hi, n_bins + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_bins - 1)
    x = np.stack([slope, intercept], axis=1)
    counts = np.bincount(which, minlength=n_bins)
    kept = np.flatnonzero(counts >= min_count)
    if kept.size < 2:
        raise UserError(f"response needs >= 2 temperature bins with >= {min_count} images; got {kept.size} "
                        f"({t.size} images in {n_bins} bins): use fewer bins or more images")
    bin_count = counts[kept]
    bin_t = np.array([t[which == b].mean() for b in kept])  # n_bins is small: loops over bins only
    bin_mean = np.array([x[which == b].mean(axis=0) for b in kept])
    # Spread = covariance of the residuals about the interpolated mean curve, not about the bin mean:
    # the mean moves within a bin (steeply near Tc) and that trend must not inflate the spread.
    mean_curve = PchipInterpolator(bin_t, bin_mean, axis=0, extrapolate=True)
    resid = x - mean_curve(t)
    bin_cov = np.array([np.cov(resid[which == b].T, ddof=1) for b in kept])

    sd = np.sqrt(np.maximum(np.stack([bin_cov[:, 0, 0], bin_cov[:, 1, 1]], 1), min_std**2))
    corr = np.clip(bin_cov[:, 0, 1] / (sd[:, 0] * sd[:, 1]), -0.99, 0.99)
    t_grid = np.linspace(t_lo, t_hi, grid_size)
    tq = np.clip(t_grid, bin_t[0], bin_t[-1])  # spread: constant beyond the outer bin centres

    def pchip(y):
        return PchipInterpolator(bin_t, y, axis=0)(tq)

    mean = mean_curve(t_grid)  # the end pieces continue over the half bin beyond the outer centres
    sd_g = np.maximum(np.exp(pchip(np.log(sd))), min_std)
    r_g = np.tanh(pchip(np.arctanh(corr)))
    cov = np.empty((grid_size, 2, 2))
    cov[:, 0, 0] = sd_g[:, 0] ** 2
    cov[:, 1, 1] = sd_g[:, 1] ** 2
    cov[:, 0, 1] = cov[:, 1, 0] = r_g * sd_g[:, 0] * sd_g[:, 1]
    info = {"n_images": int(t.size), "n_bins": int(n_bins), "grid_size": int(grid_size),
            "min_count": int(min_count), "min_std": float(min_std), "criterion": criterion,
            "t_range": [t_lo, t_hi],
            "method": "equal-width T bins -> bin means, covariance of residuals about the PCHIP mean curve -> "
                      "PCHIP of means, log std, atanh corr; "
                      "inverse: argmin over dense grid of Mahalanobis distance (or Gaussian NLL)"}
    info.update(meta or {})
    return ResponseModel(t_grid, mean, cov, bin_t, bin_mean, bin_cov, bin_count, info)


def estimate_temperature(model: ResponseModel, slope, intercept, *, criterion: str | None = None,
                         return_distance: bool = False, chunk: int = 4096):
    """Estimated temperature of each image from its (slope, intercept); see module doc.

    Returns T_est (N,) float64, or (T_est, d2) with d2 the minimal squared Mahalanobis distance.
    Vectorised over images and grid (in chunks of ``chunk`` images to bound memory).
    """
    slope, intercept = _check_params(slope, intercept)
    criterion = criterion or model.criterion
    if criterion not in CRITERIA:
        raise UserError(f"response criterion must be one of {CRITERIA}; got {criterion!r}")
    c = model.cov
    det = c[:, 0, 0] * c[:, 1, 1] - c[:, 0, 1] ** 2
    p00, p11, p01 = c[:, 1, 1] / det, c[:, 0, 0] / det, -c[:, 0, 1] / det  # inverse covariance
    penalty = np.log(det) if criterion == "nll" else np.zeros_like(det)
    t_est = np.empty(slope.size)
    d2_min = np.empty(slope.size)
    for s in range(0, slope.size, chunk):
        ds = slope[s:s + chunk, None] - model.mean[None, :, 0]
        di = intercept[s:s + chunk, None] - model.mean[None, :, 1]
        d2 = p00 * ds * ds + 2.0 * p01 * ds * di + p11 * di * di
        best = np.argmin(d2 + penalty, axis=1)
        t_est[s:s + chunk] = model.t_grid[best]
        d2_min[s:s + chunk] = d2[np.arange(best.size), best]
    return (t_est, d2_min) if return_distance else t_est


def fit_with_model_settings(model: ResponseModel, images, *, workers=None):
    """The PSD fit of ``images`` with the k range and floor the model was fitted with: T_est assumes them."""
    from bcgan.psd.spectrum import psd_fit

    meta = model.meta
    return psd_fit(images, k_min=meta.get("k_min"), k_max=meta.get("k_max"), floor=meta.get("floor"), workers=workers)


def region_of(t, *, tc: float, near_frac: float = 0.1) -> np.ndarray:
    """'below' / 'near' / 'above' Tc for each temperature; near means |T - Tc| < near_frac * Tc."""
    t = np.asarray(t, np.float64)
    return np.where(np.abs(t - tc) < near_frac * tc, "near", np.where(t < tc, "below", "above"))


def accuracy_table(t_true, t_est, *, tc: float | None = None, near_frac: float = 0.1):
    """Temperature-error summary by region (below / near / above Tc, and all) -> pandas DataFrame.

    Columns: region, t_lo, t_hi (region bounds), n, mae, median_ae, p90_ae, rmse, bias (mean of
    T_est - T_true), all in units of J/k_B. Empty regions are kept with n = 0 and NaN statistics.
    """
    import pandas as pd

    if tc is None:
        from bcgan.data.ising import TC as tc
    t_true = np.asarray(t_true, np.float64).ravel()
    t_est = np.asarray(t_est, np.float64).ravel()
    if t_true.shape != t_est.shape or t_true.size == 0:
        raise UserError(f"accuracy needs equal, non-empty T arrays; got {t_true.size} and {t_est.size}")
    if not 0 < near_frac < 1:
        raise UserError(f"near-Tc width must be in (0, 1) as a fraction of Tc; got {near_frac}")
    reg = region_of(t_true, tc=tc, near_frac=near_frac)
    bounds = {"below": (-np.inf, tc * (1 - near_frac)), "near": (tc * (1 - near_frac), tc * (1 + near_frac)),
              "above": (tc * (1 + near_frac), np.inf), "all": (-np.inf, np.inf)}
    rows = []
    for name, (lo, hi) in bounds.items():
        sel = np.ones(t_true.size, bool) if name == "all" else reg == name
        err = t_est[sel] - t_true[sel]
        ae = np.abs(err)
        n = int(sel.sum())
        stat = (lambda f: float(f(ae))) if n else (lambda f: float("nan"))
        rows.append({"region": name, "t_lo": lo, "t_hi": hi, "n": n,
                     "mae": stat(np.mean), "median_ae": stat(np.median),
                     "p90_ae": stat(lambda a: np.quantile(a, 0.9)),
                     "rmse": float(np.sqrt(np.mean(err**2))) if n else float("nan"),
                     "bias": float(np.mean(err)) if n else float("nan")})
    return pd.DataFrame(rows)


def save_response(model: ResponseModel, path) -> None:
    """Write the model as JSON (grid, means, covariances, bins, metadata); atomic and byte-reproducible."""
    doc = {"format": FORMAT, "meta": model.meta,
           "t_grid": model.t_grid.tolist(), "mean": model.mean.tolist(), "cov": model.cov.tolist(),
           "bin_t": model.bin_t.tolist(), "bin_mean": model.bin_mean.tolist(),
           "bin_cov": model.bin_cov.tolist(), "bin_count": model.bin_count.tolist()}
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n")


def load_response(path) -> ResponseModel:
    """Read a model written by save_response; a missing/foreign/truncated file raises UserError naming it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"response model file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"response model file {path} is unreadable or truncated ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(f"{path} is not a PSD response model (expected format {FORMAT!r})")
    try:
        m = ResponseModel(
            t_grid=np.asarray(doc["t_grid"], np.float64), mean=np.asarray(doc["mean"], np.float64),
            cov=np.asarray(doc["cov"], np.float64), bin_t=np.asarray(doc["bin_t"], np.float64),
            bin_mean=np.asarray(doc["bin_mean"], np.float64), bin_cov=np.asarray(doc["bin_cov"], np.float64),
            bin_count=np.asarray(doc["bin_count"], np.int64), meta=dict(doc["meta"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"response model file {path} is incomplete ({exc})") from None
    G = m.t_grid.size
    if m.mean.shape != (G, 2) or m.cov.shape != (G, 2, 2) or G < 2:
        raise UserError(f"response model file {path} has inconsistent array shapes")
    # NaN would not fail below: every estimate would silently be nan, or stuck at the grid's first T
    for name in ("t_grid", "mean", "cov", "bin_t", "bin_mean", "bin_cov"):
        if not np.isfinite(getattr(m, name)).all():
            raise UserError(f"response model file {path}: {name} holds NaN or infinite values")
    bad = [k for k, v in m.meta.items() if isinstance(v, float) and not np.isfinite(v)]
    if bad:
        raise UserError(f"response model file {path}: meta {bad[0]} is {m.meta[bad[0]]}, not a finite number")
    if not (np.diff(m.t_grid) > 0).all() or m.t_grid[0] < 0:
        raise UserError(f"response model file {path}: t_grid is not increasing from T >= 0")
    return m
