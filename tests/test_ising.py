"""Checks of the Ising generator against independent truth: exact enumeration, exact energy bookkeeping,
the C reference, Onsager's results, and bit-determinism across threads and shard splits."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numba
import numpy as np
import pytest

from bcgan.data import ising
from bcgan.errors import UserError


def _exact_4x4(T: float):
    """<e>, var(e), <|m|>, var(|m|) per spin over all 2^16 states of the periodic 4x4 lattice."""
    L = 4
    states = np.arange(2 ** (L * L), dtype=np.int64)
    s = (((states[:, None] >> np.arange(L * L)) & 1) * 2 - 1).reshape(-1, L, L)
    H = np.zeros(states.size, dtype=np.int64)
    for i in range(L):  # explicit bond loop, independent of ising.energy_per_spin
        for j in range(L):
            H -= s[:, i, j] * (s[:, (i + 1) % L, j] + s[:, i, (j + 1) % L])
    e = H / (L * L)
    m = np.abs(s.sum(axis=(1, 2))) / (L * L)
    w = np.exp(-(H - H.min()) / T)
    w /= w.sum()
    mean_e, mean_m = (w * e).sum(), (w * m).sum()
    return mean_e, (w * (e - mean_e) ** 2).sum(), mean_m, (w * (m - mean_m) ** 2).sum()


@pytest.mark.parametrize("T", [1.5, 2.27, 3.5])
def test_matches_exact_enumeration_4x4(T):
    n = 20000
    res = ising.simulate(np.full(n, T, np.float32), 4, steps=2000, seed=11)
    e_exact, e_var, m_exact, m_var = _exact_4x4(float(np.float32(T)))
    e, m = res["energy"], np.abs(res["magnetization"])
    assert abs(e.mean() - e_exact) < 4 * math.sqrt(e_var / n), (e.mean(), e_exact)
    assert abs(m.mean() - m_exact) < 4 * math.sqrt(m_var / n), (m.mean(), m_exact)


def test_incremental_energy_equals_recomputed():
    rng = np.random.default_rng(0)
    for L, T, steps in [(8, 1.0, 5000), (16, 2.3, 20000), (5, 4.0, 3000)]:
        start = rng.choice(np.array([-1, 1], np.int8), size=(L, L))
        final, de = ising.run_chain(start, T, steps, stream_seed=12345 + L)
        recomputed = (ising.energy_per_spin(final) - ising.energy_per_spin(start)) * L * L
        assert de == round(recomputed)
        assert final.dtype == np.int8 and set(np.unique(final)) <= {-1, 1}
        assert not np.array_equal(final, start)


def test_stored_observables_match_images():
    temps = ising.dataset_temperatures(0.5, 4.5, 3, 0, 12)
    res = ising.simulate(temps, 12, seed=3)
    assert res["images"].dtype == np.uint8 and set(np.unique(res["images"])) <= {0, 255}
    np.testing.assert_array_equal(res["energy"], ising.energy_per_spin(res["images"]))
    np.testing.assert_array_equal(res["magnetization"], ising.magnetization_per_spin(res["images"]))
    np.testing.assert_array_equal(res["seed"], ising.stream_seeds(3, 0, 12))


def test_deterministic_across_threads_and_splits():
    temps = ising.dataset_temperatures(0.2, 2 * ising.TC, 7, 0, 10)
    one = ising.simulate(temps, 16, seed=7, threads=1)
    two = ising.simulate(temps, 16, seed=7, threads=min(2, numba.config.NUMBA_NUM_THREADS))
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])
    # the same global images produced as two shards [0, 3) and [3, 10)
    a = ising.simulate(ising.dataset_temperatures(0.2, 2 * ising.TC, 7, 0, 3), 16, seed=7, first_index=0)
    b = ising.simulate(ising.dataset_temperatures(0.2, 2 * ising.TC, 7, 3, 7), 16, seed=7, first_index=3)
    np.testing.assert_array_equal(np.concatenate([a["images"], b["images"]]), one["images"])
    np.testing.assert_array_equal(np.concatenate([a["seed"], b["seed"]]), one["seed"])
    # another seed gives other images
    other = ising.simulate(temps, 16, seed=8)
    assert not np.array_equal(other["images"], one["images"])


def test_dataset_temperatures():
    t = ising.dataset_temperatures(0.01, 2 * ising.TC, 1, 0, 5000)
    assert t.dtype == np.float32 and t.min() >= np.float32(0.01) and t.max() <= np.float32(2 * ising.TC)
    # uniform: each of 10 bins holds ~500
    counts, _ = np.histogram(t, bins=10, range=(0.01, 2 * ising.TC))
    assert counts.min() > 400 and counts.max() < 600
    np.testing.assert_array_equal(ising.dataset_temperatures(0.01, 2 * ising.TC, 1, 1234, 10), t[1234:1244])
    assert not np.array_equal(ising.dataset_temperatures(0.01, 2 * ising.TC, 2, 0, 5000), t)
    # temperatures and spin streams use different hashes of (seed, index)
    assert len(np.unique(ising.stream_seeds(1, 0, 5000))) == 5000


def test_grid_temperatures_repeat_k_points_whatever_the_split(tmp_path):
    """grid:K labels: K evenly spaced temperatures, image i at grid[i mod K], each repeated n / K
    times; a shard split gives the same labels; the CLI records the label set in the shard."""
    t = ising.grid_temperatures(0.05, 4.5, 100, 0, 12_000)
    grid = np.linspace(0.05, 4.5, 100).astype(np.float32)
    np.testing.assert_array_equal(np.unique(t), grid)
    assert np.all(np.unique(t, return_counts=True)[1] == 120)
    np.testing.assert_array_equal(ising.grid_temperatures(0.05, 4.5, 100, 2000, 2000), t[2000:4000])
    with pytest.raises(UserError, match=">= 2 points"):
        ising.grid_temperatures(0.05, 4.5, 1, 0, 10)
    from bcgan.cli import main
    from bcgan.data.shards import read_shard

    out = tmp_path / "grid.h5"
    args = ["ising", "--size", "8", "--t-range", "0.5", "4", "--t-grid", "4", "--count", "10", "--first-index", "3",
            "--seed", "1", "--threads", "1", "--out", str(out)]
    assert main(args) == 0
    shard = read_shard(out)
    np.testing.assert_array_equal(shard["temperature"], ising.grid_temperatures(0.5, 4.0, 4, 3, 10))
    assert shard["attrs"]["temperature_mode"] == "grid:4"
    assert main(["ising", "--size", "8", "--temperatures", "1", "--t-grid", "4", "--seed", "1",
                 "--out", str(tmp_path / "bad.h5")]) == 2


def test_low_temperature_orders():
    L = 32
    short = ising.simulate(np.full(16, 0.5, np.float32), L, seed=5)  # paper criterion: L^3 steps
    assert short["energy"].mean() < -1.7  # > 92 % of bonds satisfied: ordered domains
    # L^3 steps leave coarsening domains (mean |m| ~ 0.3); 50 L^3 steps finish coarsening:
    long = ising.simulate(np.full(32, 0.5, np.float32), L, steps=50 * L**3, seed=5)
    m = np.abs(long["magnetization"])
    assert (m > 0.99).mean() > 0.3  # many chains reach the fully ordered state (|m| ~ 1) ...
    assert long["energy"].max() < -1.85  # ... the rest are two-wall stripes (e = -1.875), metastable


def test_high_temperature_disorders():
    res = ising.simulate(np.full(32, 2 * ising.TC, np.float32), 32, seed=6)
    assert np.abs(res["magnetization"]).mean() < 0.08
    # finite 32x32 lattice, deep in the disordered phase: close to Onsager's infinite-lattice energy
    sem = res["energy"].std() / math.sqrt(res["energy"].size)
    assert abs(res["energy"].mean() - ising.onsager_energy(2 * ising.TC)) < 5 * sem + 0.005


def test_onsager_curves():
    assert ising.TC == pytest.approx(2.269185314213022)
    assert ising.onsager_magnetization(2.0) == pytest.approx((1 - math.sinh(1.0) ** -4) ** 0.125)
    m = ising.onsager_magnetization(np.array([0.5, 2.2, ising.TC, 3.0]))
    assert m[0] == pytest.approx(1.0, abs=1e-6) and 0 < m[1] < 1 and m[2] == 0 and m[3] == 0
    assert ising.onsager_energy(ising.TC) == pytest.approx(-math.sqrt(2))
    assert ising.onsager_energy(0.3) == pytest.approx(-2.0, abs=1e-6)


def test_input_validation():
    with pytest.raises(UserError, match="size"):
        ising.simulate([1.0], 3)
    with pytest.raises(UserError, match="temperatures"):
        ising.simulate([1.0, 0.0], 8)
    with pytest.raises(UserError, match="t_min"):
        ising.dataset_temperatures(-1.0, 2.0, 0, 0, 3)
    with pytest.raises(UserError, match="seed"):
        ising.stream_seeds(-1, 0, 3)


REF = Path(__file__).resolve().parents[2] / "shared" / "bench" / "metropolis_ref.c"


@pytest.mark.skipif(shutil.which("gcc") is None or not REF.is_file(), reason="gcc or C reference missing")
def test_same_lattices_as_c_reference(tmp_path):
    binary = tmp_path / "ref"
    subprocess.run(["gcc", "-O2", "-o", str(binary), str(REF), "-lm"], check=True)
    L, T, n, seed = 16, 2.0, 6, 9
    out = subprocess.run([str(binary), str(L), str(T), str(n), str(seed)], capture_output=True, text=True,
                         check=True).stdout
    c_m = float(out.split("mean_abs_m=")[1].split()[0])
    seeds = np.array([seed * 1000003 + i for i in range(n)], np.uint64)
    ours = ising.simulate_streams(seeds, np.full(n, T), L)
    assert f"{np.abs(ours['magnetization']).mean():.4f}" == f"{c_m:.4f}"
