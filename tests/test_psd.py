"""bcgan.psd.spectrum against independent truths: known spectra, a plain per-image computation, symmetries."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bcgan.errors import UserError
from bcgan.psd.spectrum import fit_loglog, psd_fit, radial_psd

REF = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "psd_ref.py"


def plain_psd(images, k_min=1, k_max=None):
    """The obvious per-image computation in float64 on the full plane (numpy fft2 + bincount + polyfit)."""
    L = images.shape[-1]
    k_max = L // 2 - 1 if k_max is None else k_max
    f = np.fft.fftfreq(L) * L
    r = np.rint(np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)).astype(int).ravel()
    ks = np.arange(k_min, k_max + 1)
    slopes, icpts = [], []
    for im in images:
        s = np.where(im > 127, 1.0, -1.0)
        s -= s.mean()
        p = np.abs(np.fft.fft2(s)).ravel() ** 2
        radial = np.bincount(r, p) / np.bincount(r)
        slope, icpt = np.polyfit(np.log(ks), np.log(radial[ks]), 1)
        slopes.append(slope)
        icpts.append(icpt)
    return np.array(slopes), np.array(icpts)


def domains(n, L, seed, width=3.0):
    """Ising-like binary images: thresholded smoothed noise (periodic), uint8 0/255."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(L)
    k2 = f[:, None] ** 2 + f[None, :] ** 2
    noise = np.fft.fft2(rng.standard_normal((n, L, L)))
    field = np.fft.ifft2(noise * np.exp(-2 * (np.pi * width) ** 2 * k2)).real
    return np.where(field > 0, 255, 0).astype(np.uint8)


def grf(n, L, beta, seed):
    """Gaussian random fields with power spectrum |k|^-beta (k != 0), real-valued."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(L) * L
    kk = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    amp = np.zeros_like(kk)
    amp[kk > 0] = kk[kk > 0] ** (-beta / 2)
    return np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, L, L))) * amp).real


def test_cosine_power_sits_at_its_radius():
    L = 64
    y, x = np.mgrid[0:L, 0:L]
    wave = np.cos(2 * np.pi * (3 * x + 4 * y) / L + 0.3)  # |k| = 5
    img = np.where(wave > 0, 255, 0).astype(np.uint8)[None]
    k, p = radial_psd(img)
    assert k[np.argmax(p[0])] == 5
    # a square wave keeps 8/pi^2 ~ 81% of its power in the fundamental; ring 5 has few modes, so
    # compare total (not mean) power: mean ring power times the ring's mode count
    assert p[0, k == 5] > 20 * np.median(p[0])
    # continuous cosine without binarisation: (almost) all power at radius 5
    k, p = radial_psd((wave * 100)[None], binarize=False)
    assert p[0, k == 5] > 1e6 * np.delete(p[0], np.flatnonzero(k == 5)).max()


def test_white_noise_is_flat():
    rng = np.random.default_rng(1)
    L = 64
    imgs = (rng.random((24, L, L)) < 0.5).astype(np.uint8) * 255
    fit = psd_fit(imgs, workers=1)
    assert abs(fit.slope.mean()) < 0.05
    # E[PSD] = L^2 for ±1 white noise (unnormalised FFT); ln of a ring mean is biased low a little
    assert abs(fit.intercept.mean() - 2 * np.log(L)) < 0.3


@pytest.mark.parametrize("beta", [1.5, 3.0])
def test_power_law_field_slope(beta):
    fields = grf(8, 64, beta, seed=int(beta * 10))
    fit = psd_fit(fields, binarize=False, workers=1)
    assert abs(fit.slope.mean() + beta) < 0.1


@pytest.mark.parametrize("L", [32, 33])
def test_batched_equals_plain_per_image(L):
    imgs = domains(40, L, seed=L)
    imgs[3] = np.random.default_rng(0).integers(0, 256, (L, L))  # arbitrary uint8, threshold 127
    s_ref, i_ref = plain_psd(imgs)
    fit = psd_fit(imgs, workers=2, chunk=7)
    np.testing.assert_allclose(fit.slope, s_ref, atol=1e-5)
    np.testing.assert_allclose(fit.intercept, i_ref, atol=1e-5)
    # other k ranges too
    s_ref, i_ref = plain_psd(imgs, 2, 9)
    fit = psd_fit(imgs, k_min=2, k_max=9)
    np.testing.assert_allclose(fit.slope, s_ref, atol=1e-5)
    np.testing.assert_allclose(fit.intercept, i_ref, atol=1e-5)


@pytest.mark.skipif(not REF.is_file(), reason="shared/bench/psd_ref.py not present")
def test_matches_shared_reference():
    spec = importlib.util.spec_from_file_location("psd_ref", REF)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    imgs = domains(30, 48, seed=5)
    np.testing.assert_allclose(psd_fit(imgs).slope, ref.per_image(imgs), atol=1e-5)


def test_bool_and_float_inputs_follow_the_threshold():
    imgs = domains(6, 32, seed=2)
    base = psd_fit(imgs).slope
    np.testing.assert_array_equal(psd_fit(imgs > 127).slope, base)
    np.testing.assert_allclose(psd_fit(imgs.astype(np.float32)).slope, base, atol=1e-12)


def test_translation_and_rotation_invariance():
    imgs = domains(10, 32, seed=3)
    base = psd_fit(imgs)
    for moved in (np.roll(imgs, (5, -11), axis=(1, 2)), np.rot90(imgs, 1, axes=(1, 2)),
                  np.ascontiguousarray(imgs[:, ::-1, :])):
        fit = psd_fit(moved)
        np.testing.assert_allclose(fit.slope, base.slope, atol=1e-5)
        np.testing.assert_allclose(fit.intercept, base.intercept, atol=1e-5)


def test_thread_count_and_chunking_do_not_change_results():
    imgs = domains(37, 32, seed=4)
    a = psd_fit(imgs, workers=1, chunk=5)
    b = psd_fit(imgs, workers=2, chunk=5)
    np.testing.assert_array_equal(a.slope, b.slope)
    np.testing.assert_array_equal(a.intercept, b.intercept)


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((0, 16, 16), np.uint8), "empty"),
        (np.zeros((16, 16), np.uint8), "ndim=2"),
        (np.zeros((2, 16, 12), np.uint8), "square"),
        (np.full((1, 16, 16), np.nan), "NaN"),
        (np.array([[["a"] * 8] * 8]), "dtype"),
    ],
)
def test_bad_input_is_a_user_error(images, match):
    with pytest.raises(UserError, match=match):
        psd_fit(images)


def test_zero_power_needs_an_explicit_floor():
    imgs = domains(3, 16, seed=6)
    imgs[1] = 255  # uniform: no power at any k != 0
    with pytest.raises(UserError, match="image 1 has zero"):
        psd_fit(imgs)
    fit = psd_fit(imgs, floor=1.0)
    assert fit.floored.tolist() == [False, True, False]
    assert fit.slope[1] == 0.0 and fit.intercept[1] == 0.0  # ln(1) everywhere
    with pytest.raises(UserError, match="floor"):
        psd_fit(imgs, floor=0.0)


def test_bad_k_range():
    imgs = domains(2, 16, seed=7)
    for k_min, k_max in ((0, 5), (3, 3), (1, 9)):
        with pytest.raises(UserError, match="k range"):
            psd_fit(imgs, k_min=k_min, k_max=k_max)
    with pytest.raises(UserError):
        fit_loglog(np.arange(1, 4), np.ones((2, 5)))
