"""Comparison metrics on synthetic inputs with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bcgan.data.ising import TC
from bcgan.errors import UserError
from bcgan.psd.metrics import (
    diversity,
    nearest_sets,
    pairwise_disagreement,
    psd_distance,
    shifted_disagreement,
    temperature_errors,
)
from bcgan.psd.response import ResponseModel


def _model(sd=(0.2, 0.5)):
    g = np.linspace(0.0, 5.0, 51)
    mean = np.stack([-2.0 + 0.3 * g, 7.0 - 0.1 * g], axis=1)
    cov = np.zeros((g.size, 2, 2))
    cov[:, 0, 0], cov[:, 1, 1] = sd[0] ** 2, sd[1] ** 2
    return ResponseModel(g, mean, cov, g[::10], mean[::10], cov[::10], np.full(6, 10), {"tc": TC})


def test_perfect_temperature_estimates_have_zero_error():
    t = np.linspace(0.1, 4.5, 200)
    e = temperature_errors(t, t, tc=TC, near_frac=0.1)
    for region in ("all", "below", "near", "above"):
        assert e[f"mae_{region}"] == 0.0
    assert e["n_all"] == 200 and e["n_below"] + e["n_near"] + e["n_above"] == 200


def test_constant_offset_error_and_bias():
    t = np.linspace(0.1, 4.5, 100)
    e = temperature_errors(t, t - 0.25, tc=TC, near_frac=0.1)
    assert e["mae_all"] == pytest.approx(0.25) and e["bias_all"] == pytest.approx(-0.25)
    assert e["mae_near"] == pytest.approx(0.25)


def test_psd_distance_zero_on_the_curve_and_in_sigma_units():
    m = _model()
    t = np.repeat([1.0, 2.0, 3.0], 4)
    slope, intercept = -2.0 + 0.3 * t, 7.0 - 0.1 * t
    d, per = psd_distance(t, t, slope, intercept, m)
    assert d == pytest.approx(0.0, abs=1e-12)
    assert np.array_equal(per["n"], [4, 4, 4])
    # mean off by 2 sigma in slope at every T (individual images scattered symmetrically around it)
    jitter = np.tile([-0.1, 0.1, -0.3, 0.3], 3)
    d, _ = psd_distance(t, t, slope + 2 * 0.2 + jitter, intercept, m)
    assert d == pytest.approx(2.0)
    d, _ = psd_distance(t, t, slope, intercept - 0.5, m)  # 1 sigma in intercept
    assert d == pytest.approx(1.0)


def test_pairwise_disagreement_matches_brute_force():
    rng = np.random.default_rng(0)
    im = (rng.random((6, 8, 8)) < 0.4).astype(np.uint8) * 255
    d = pairwise_disagreement(im)
    for i, j in itertools.product(range(6), repeat=2):
        assert d[i, j] == pytest.approx(np.mean(im[i] != im[j]))


def test_diversity_identical_random_and_flipped():
    rng = np.random.default_rng(1)
    one = (rng.random((16, 16)) < 0.5).astype(np.uint8) * 255
    same = np.repeat(one[None], 10, axis=0)
    groups = np.zeros(10)
    assert diversity(same, groups)[0] == 0.0
    rand = (rng.random((40, 64, 64)) < 0.5).astype(np.uint8) * 255
    assert diversity(rand, np.repeat([1.0, 2.0], 20))[0] == pytest.approx(0.5, abs=0.01)
    flipped = np.stack([one, 255 - one, one, 255 - one])
    assert diversity(flipped, np.zeros(4))[0] == pytest.approx(4 / 6)  # 4 of 6 pairs differ everywhere
    assert diversity(flipped, np.zeros(4), flip_invariant=True)[0] == 0.0


def test_shifted_disagreement_matches_brute_force_over_shifts_and_flips():
    """The FFT result against every cyclic shift and both signs tried one by one; a translate is no new state."""
    rng = np.random.default_rng(2)
    im = (rng.random((4, 6, 6)) < 0.5).astype(np.uint8) * 255
    d = shifted_disagreement(im)
    for i, j in itertools.product(range(4), repeat=2):
        tries = [np.mean(im[i] != np.roll(im[j], (dy, dx), axis=(0, 1))) for dy in range(6) for dx in range(6)]
        assert d[i, j] == pytest.approx(min(min(tries), 1 - max(tries)))
    moved = np.stack([im[0], np.roll(im[0], (2, 5), axis=(0, 1)), 255 - np.roll(im[0], 3, axis=1)])
    assert diversity(moved, np.zeros(3), flip_invariant=True)[0] > 0.2  # pixels differ ...
    assert diversity(moved, np.zeros(3), shift_invariant=True)[0] == pytest.approx(0.0, abs=1e-12)  # ... states do not
    rand = (rng.random((20, 32, 32)) < 0.5).astype(np.uint8) * 255  # independent lattices stay apart
    assert 0.4 < diversity(rand, np.zeros(20), shift_invariant=True)[0] < 0.5


def test_analyse_diversity_reports_both_kinds_by_region(tmp_path):
    from bcgan.cli import main
    from bcgan.data.shards import write_samples

    rng = np.random.default_rng(3)
    one = (rng.random((16, 16)) < 0.5).astype(np.uint8) * 255
    shifted = np.stack([np.roll(one, k, axis=0) for k in range(4)] + [np.roll(one, k, axis=1) for k in range(4)])
    t = np.repeat([1.0, 3.5], 4).astype(np.float32)
    write_samples(tmp_path / "s.h5", images=shifted, temperature=t, noise_seed=np.arange(8), variant="x")
    assert main(["analyse", "diversity", str(tmp_path / "s.h5"), "--out", str(tmp_path / "d.csv")]) == 0
    import pandas as pd

    row = pd.read_csv(tmp_path / "d.csv").iloc[0]
    assert row.flip_below > 0.2 and row.flip_above > 0.2 and np.isnan(row.flip_near)
    assert row.shift_flip_below == pytest.approx(0.0, abs=1e-12) and row.shift_flip_above == pytest.approx(0.0, abs=1e-12)


def test_diversity_is_per_temperature():
    """Two different but internally identical groups: diversity 0 although the images differ across T."""
    a = np.zeros((3, 8, 8), np.uint8)
    b = np.full((3, 8, 8), 255, np.uint8)
    assert diversity(np.concatenate([a, b]), np.repeat([0.5, 4.0], 3))[0] == 0.0
    with pytest.raises(UserError):
        diversity(a[:1], [0.5])


def test_nearest_sets():
    t = np.array([0.1, 0.5, 0.9, 2.0, 2.2, 4.0])
    idx, grp = nearest_sets(t, [0.0, 2.1], 2)
    assert sorted(idx[grp == 0]) == [0, 1] and sorted(idx[grp == 1]) == [3, 4]
