"""Radially averaged power spectral density (PSD) of Ising-like images and its log-log line fit.

Why: the paper (§3, Fig 2) reduces every image to two numbers, the slope and the intercept of a
straight line through ln PSD vs ln k; these depend on temperature and are how generated images are
judged. Thousands of images must be reduced at once, so everything here is batched.

Convention (the same as ``shared/bench/psd_ref.py``, so slopes are directly comparable):

* spins: pixel > 127 -> +1, else -1 (bool input: True -> +1); the per-image mean spin is removed.
  Removing the mean only changes the k = 0 term, which is never used; it is done because it keeps
  float32 round-off small for nearly ordered images (whose total power would otherwise sit in k = 0).
* PSD(kx, ky) = |FFT2(s - mean s)|^2, unnormalised (``numpy.fft`` convention): a ±1 white-noise image
  has E[PSD] = L^2 at every k != 0, so its intercept is about 2 ln L.
* radial average over integer radii k = rint(sqrt(kx^2 + ky^2)), with kx, ky the signed integer
  frequencies, averaging all modes of the full plane in that ring.
* ordinary least squares of ln PSD_k on ln k for k = k_min .. k_max (default 1 .. L//2 - 1, the
  rings that fit entirely inside the image's Nyquist square) -> (slope, intercept) per image.

How it is fast: real FFT (``scipy.fft.rfft2``, float32) of cache-sized chunks of the stack, the
half plane's columns 1 .. ceil(L/2)-1 counted twice (they stand for their mirror images), one fused
numba pass that squares and bins the spectrum into the rings with precomputed weights, chunks spread
over threads (numba kernels and the FFT release the GIL), and a closed-form least-squares fit over
all images at once. Results do not depend on the thread count (chunk boundaries are fixed).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import scipy.fft

from bcgan.errors import UserError

__all__ = ["PSDFit", "default_k_range", "radial_psd", "fit_loglog", "psd_fit", "spins"]

CHUNK = 32  # images per FFT call: 32 x 128^2 float32 = 2 MiB, stays within L2/L3 together with its spectrum


@dataclass(frozen=True)
class PSDFit:
    """Per-image line fit ln PSD = slope * ln k + intercept, and the k range it used."""

    slope: np.ndarray  # float64 (B,)
    intercept: np.ndarray  # float64 (B,)
    floored: np.ndarray  # bool (B,): some ring power was below ``floor`` and was clipped to it
    k_min: int
    k_max: int
    floor: float | None


def default_k_range(L: int) -> tuple[int, int]:
    """k = 1 .. L//2 - 1: every ring lies inside the Nyquist square, so each ring is complete."""
    return 1, L // 2 - 1


def _check_k_range(L: int, k_min: int | None, k_max: int | None) -> tuple[int, int]:
    d_min, d_max = default_k_range(L)
    k_min = d_min if k_min is None else int(k_min)
    k_max = d_max if k_max is None else int(k_max)
    if k_min < 1 or k_max > L // 2 or k_max - k_min < 1:
        raise UserError(
            f"PSD k range {k_min}..{k_max} is invalid for L={L}: need 1 <= k_min < k_max <= {L // 2}"
        )
    return k_min, k_max


def _check_images(images) -> np.ndarray:
    """Validate a (B, L, L) stack and return it as a uint8 array of 0/1-or-0..255 values with threshold."""
    if not isinstance(images, np.ndarray):
        images = np.asarray(images)
    if images.ndim != 3:
        raise UserError(f"PSD needs an image stack of shape (B, L, L); got ndim={images.ndim} shape={images.shape}")
    B, H, W = images.shape
    if B == 0:
        raise UserError("PSD needs at least one image; got an empty stack")
    if H != W:
        raise UserError(f"PSD needs square images; got {H}x{W}")
    if H < 4:
        raise UserError(f"PSD needs images of at least 4x4 pixels for a line fit; got {H}x{W}")
    if images.dtype.kind not in "biuf":
        raise UserError(f"PSD images must be numeric or bool; got dtype {images.dtype}")
    if images.dtype.kind == "f":
        bad = ~np.isfinite(images)
        if bad.any():
            i = int(np.flatnonzero(bad.reshape(B, -1).any(axis=1))[0])
            raise UserError(f"PSD image {i} contains NaN or infinite pixels")
    return images


def spins(images) -> np.ndarray:
    """±1 float32 spins of a stack (pixel > 127 -> +1, bool True -> +1), no mean removed."""
    images = np.asarray(images)
    up = images if images.dtype == np.bool_ else images > 127
    return np.where(up, np.float32(1), np.float32(-1))


@numba.njit(nogil=True, cache=True)
def _spins_centred(up, out):  # pragma: no cover - compiled
    """out[i] = (±1 spins of up[i] > thr) minus their mean; up is uint8 0/1 (thr already applied)."""
    n = up.shape[1] * up.shape[2]
    for i in range(up.shape[0]):
        count = 0
        for a in range(up.shape[1]):
            for b in range(up.shape[2]):
                count += up[i, a, b]
        mean = np.float32((2.0 * count - n) / n)
        hi = np.float32(1.0) - mean
        lo = np.float32(-1.0) - mean
        for a in range(up.shape[1]):
            for b in range(up.shape[2]):
                out[i, a, b] = hi if up[i, a, b] else lo


@numba.njit(nogil=True, cache=True)
def _spins_centred_u8(img, out):  # pragma: no cover - compiled
    """Same as _spins_centred for raw uint8 pixels with the > 127 threshold applied here (no copy)."""
    n = img.shape[1] * img.shape[2]
    for i in range(img.shape[0]):
        count = 0
        for a in range(img.shape[1]):
            for b in range(img.shape[2]):
                count += img[i, a, b] > 127
        mean = np.float32((2.0 * count - n) / n)
        hi = np.float32(1.0) - mean
        lo = np.float32(-1.0) - mean
        for a in range(img.shape[1]):
            for b in range(img.shape[2]):
                out[i, a, b] = hi if img[i, a, b] > 127 else lo


@numba.njit(nogil=True, cache=True)
def _ring_power(F, ring, weight, out):  # pragma: no cover - compiled
    """out[i, ring[j]] += weight[j] * |F[i, j]|^2 for the half-plane spectrum F (B, L*(L//2+1))."""
    for i in range(F.shape[0]):
        for j in range(F.shape[1]):
            r = ring[j]
            if r >= 0:
                z = F[i, j]
                out[i, r] += weight[j] * (np.float64(z.real) * z.real + np.float64(z.imag) * z.imag)


@lru_cache(maxsize=32)
def _rings(L: int, k_min: int, k_max: int):
    """Ring index (or -1) and averaging weight of every half-plane rfft2 mode, for k_min .. k_max.

    Columns 0 < c < L/2 of the half plane stand for themselves and their mirror column L - c (same
    |k|, same power by Hermitian symmetry), so they count twice; the weights divide by the number of
    full-plane modes in each ring, making the binned sum a mean over the full ring.
    """
    H = L // 2 + 1
    f = np.fft.fftfreq(L) * L
    radius = np.rint(np.hypot(f[:, None], f[None, :H])).astype(np.int64)  # (L, H)
    col = np.arange(H)
    mult = np.where((col > 0) & (2 * col < L), 2.0, 1.0)[None, :].repeat(L, axis=0)
    inside = (radius >= k_min) & (radius <= k_max)
    ring = np.where(inside, radius - k_min, -1).astype(np.int32).ravel()
    modes = np.bincount(ring[ring >= 0], weights=mult.ravel()[ring >= 0], minlength=k_max - k_min + 1)
    weight = np.where(inside.ravel(), mult.ravel() / modes[np.maximum(ring, 0)], 0.0)
    ring.setflags(write=False)
    return ring, weight.astype(np.float64), modes


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def radial_psd(images, *, k_min: int | None = None, k_max: int | None = None, binarize: bool = True,
               workers: int | None = None, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged PSD of a (B, L, L) stack -> (k (nk,) int, power (B, nk) float64).

    ``binarize=False`` skips the ±1 mapping and uses the pixel values themselves (mean removed), for
    continuous fields (tests of the spectral estimate, other data). ``workers`` threads process
    chunks of ``chunk`` images (None: all CPUs this process may use).
    Bad input (not (B, L, L), non-square, empty, NaN, bad k range) raises UserError.
    """
    images = _check_images(images)
    B, L, _ = images.shape
    k_min, k_max = _check_k_range(L, k_min, k_max)
    ring, weight, _ = _rings(L, k_min, k_max)
    nk = k_max - k_min + 1
    raw_u8 = images.dtype == np.uint8
    out = np.zeros((B, nk), np.float64)
    chunk = max(1, int(chunk))

    def one(start: int) -> None:
        block = images[start:start + chunk]
        x = np.empty(block.shape, np.float32)
        if not binarize:
            x[...] = block
            x -= x.mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(np.float32)
        elif raw_u8:
            _spins_centred_u8(np.ascontiguousarray(block), x)
        else:
            up = block if block.dtype == np.bool_ else block > 127
            _spins_centred(np.ascontiguousarray(up).view(np.uint8), x)
        F = scipy.fft.rfft2(x, workers=1, overwrite_x=True)
        _ring_power(F.reshape(len(block), -1), ring, weight, out[start:start + chunk])

    starts = range(0, B, chunk)
    n_workers = _default_workers() if workers is None else max(1, int(workers))
    if n_workers == 1 or B <= chunk:
        for s in starts:
            one(s)
    else:
        with ThreadPoolExecutor(min(n_workers, len(starts))) as pool:
            list(pool.map(one, starts))
    return np.arange(k_min, k_max + 1), out


def fit_loglog(k, power, *, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line ln power = slope ln k + intercept for each row of ``power`` (closed form).

    A ring with zero power (a uniform image, or a perfect stripe pattern missing some harmonics) has
    no logarithm: with ``floor=None`` that raises UserError naming the first such image; a positive
    ``floor`` instead clips the ring power from below (in the unnormalised units above; a single
    flipped spin on a uniform background contributes 4 to every ring), so such images get a finite,
    documented value instead of a silent NaN.
    """
    k = np.asarray(k, np.float64)
    power = np.asarray(power, np.float64)
    if power.ndim != 2 or power.shape[1] != k.size or k.size < 2:
        raise UserError(f"fit_loglog needs power of shape (B, {k.size}) with >= 2 rings; got {power.shape}")
    if floor is not None:
        if not floor > 0:
            raise UserError(f"PSD power floor must be > 0; got {floor}")
        power = np.maximum(power, floor)
    bad = ~(power > 0) | ~np.isfinite(power)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        n_bad = int(bad.any(axis=1).sum())
        raise UserError(
            f"PSD of image {i} has zero or invalid power at k={int(k[j])} ({n_bad} image(s) affected; "
            "uniform or perfectly striped images): slope undefined, set a power floor to accept them"
        )
    x = np.log(k)
    xc = x - x.mean()
    y = np.log(power)
    ym = y.mean(axis=1)
    slope = (y @ xc) / (xc @ xc)  # sum(xc) = 0, so the row mean of y drops out
    return slope, ym - slope * x.mean()


def psd_fit(images, *, k_min: int | None = None, k_max: int | None = None, floor: float | None = None,
            binarize: bool = True, workers: int | None = None, chunk: int = CHUNK) -> PSDFit:
    """(slope, intercept) of ln PSD vs ln k for every image of a (B, L, L) stack; see module doc."""
    k, power = radial_psd(images, k_min=k_min, k_max=k_max, binarize=binarize, workers=workers, chunk=chunk)
    slope, intercept = fit_loglog(k, power, floor=floor)
    floored = (power < floor).any(axis=1) if floor is not None else np.zeros(len(power), bool)
    return PSDFit(slope=slope, intercept=intercept, floored=floored, k_min=int(k[0]), k_max=int(k[-1]),
                  floor=None if floor is None else float(floor))
