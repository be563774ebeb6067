"""Flag images unlike any real one: a threshold on the response model's distance ``d2``.

Why: with T_est, the response model returns d2, the squared Mahalanobis distance of an image's PSD
(slope, intercept) to the nearest point of the real-image response curve. A T_est is only meaningful
for an image that looks like some real image, so d2 needs a threshold. We take it from real images the
model never saw: the ``quantile`` (default 0.99) of d2 over the held-out images, so by construction
about 1 % of real images exceed it, and an image above it is flagged "unlike real images".
Without held-out images the Gaussian value is used: for a 2-D Gaussian cloud d2 follows χ² with 2
degrees of freedom, whose 99th percentile is −2 ln 0.01 = 9.21.
"""

from __future__ import annotations

import math

import numpy as np

from bcgan.errors import UserError

__all__ = ["GAUSSIAN_D2", "DEFAULT_QUANTILE", "gaussian_threshold", "d2_of", "heldout_threshold"]

DEFAULT_QUANTILE = 0.99


def _check_quantile(quantile: float) -> None:
    if not 0.5 <= quantile < 1:
        raise UserError(f"d2 quantile must be in [0.5, 1), got {quantile}")


def gaussian_threshold(quantile: float = DEFAULT_QUANTILE) -> float:
    """χ²₂ quantile, −2 ln(1 − q): the threshold if real images' PSD parameters were Gaussian."""
    _check_quantile(quantile)
    return -2.0 * math.log1p(-quantile)


GAUSSIAN_D2 = gaussian_threshold()


def d2_of(model, images, *, workers=None) -> tuple[np.ndarray, np.ndarray]:
    """(T_est, d2) of images under ``model``, with the model's own PSD settings."""
    from bcgan.psd.response import estimate_temperature, fit_with_model_settings

    fit = fit_with_model_settings(model, images, workers=workers)
    return estimate_temperature(model, fit.slope, fit.intercept, return_distance=True)


def heldout_threshold(model, images, *, quantile: float = DEFAULT_QUANTILE, workers=None) -> float:
    """The ``quantile`` of d2 over held-out real images (at least 20 of them, or the tail is noise)."""
    _check_quantile(quantile)
    images = np.asarray(images)
    if images.shape[0] < 20:
        raise UserError(f"a d2 threshold needs at least 20 held-out images, got {images.shape[0]}")
    return float(np.quantile(d2_of(model, images, workers=workers)[1], quantile))
