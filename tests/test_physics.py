"""The physics yardstick against independent truth: the exact Boltzmann ensemble of the 4x4 lattice,
lattices whose m, e, G(r) and domains are known by hand, random spins, and two independent real sets."""

import itertools

import numpy as np
import pytest

from bcgan.data.ising import TC, simulate
from bcgan.errors import UserError
from bcgan.evaluation import physics
from bcgan.evaluation.physics import SCALARS, distances, observables, peak_temperature, wide


def _all_states(size=4):
    bits = np.array(list(itertools.product((-1, 1), repeat=size * size)), np.int8)
    return bits.reshape(-1, size, size)


def _by_loops(s):
    """m, e and G(r) in the module's bins of one lattice, by explicit sums (no FFT)."""
    s = s.astype(np.int64)
    size = s.shape[0]
    n = size * size
    e = -sum(s[y, x] * (s[y, (x + 1) % size] + s[(y + 1) % size, x]) for y in range(size) for x in range(size)) / n
    sums, counts = {}, {}
    for dy in range(size):
        for dx in range(size):
            r = np.hypot(min(dy, size - dy), min(dx, size - dx))
            if r > size / 2:
                continue
            k = int(np.floor(r + 0.5))
            c = sum(s[y, x] * s[(y + dy) % size, (x + dx) % size] for y in range(size) for x in range(size)) / n
            sums[k] = sums.get(k, 0.0) + c
            counts[k] = counts.get(k, 0) + 1
    return s.mean(), e, np.array([sums[k] / counts[k] for k in sorted(sums)])


@pytest.mark.parametrize("temperature", [1.5, TC, 3.5])
def test_estimators_reproduce_the_exact_4x4_ensemble(temperature):
    """Exact moments by enumerating all 2^16 states; a large sample drawn from them reproduces χ, C, U₄
    and the means within 4 bootstrap standard deviations."""
    states = _all_states()
    q = physics.per_image(states)
    m, e = q["m"], q["e"]
    w = np.exp(-(e * 16) / temperature)
    w /= w.sum()
    mean = lambda x: float((w * x).sum())  # noqa: E731
    exact = {"abs_m": mean(np.abs(m)), "e": mean(e),
             "chi": 16 * (mean(m**2) - mean(np.abs(m)) ** 2) / temperature,
             "heat_capacity": 16 * (mean(e**2) - mean(e) ** 2) / temperature**2,
             "binder": 1 - mean(m**4) / (3 * mean(m**2) ** 2)}
    draw = np.random.default_rng(7).choice(states.shape[0], size=20000, p=w)
    table = observables(states[draw], np.full(draw.size, temperature), bootstrap=100, seed=1)
    _, value, sd = wide(table)
    for name, truth in exact.items():
        assert abs(value[name][0] - truth) < 4 * sd[name][0], (name, value[name][0], truth, sd[name][0])


def _checkerboard(size):
    return np.where((np.arange(size)[:, None] + np.arange(size)[None, :]) % 2, 1, -1).astype(np.int8)


def _stripes(size, width):
    return np.tile(np.where((np.arange(size) // width) % 2 == 0, 1, -1).astype(np.int8), (size, 1))


@pytest.mark.parametrize("name, lattice, m, e, domains, largest", [
    ("all up", np.ones((8, 8), np.int8), 1.0, -2.0, 1, 64),
    ("checkerboard", _checkerboard(8), 0.0, 2.0, 64, 1),
    ("stripes of 2", _stripes(8, 2), 0.0, -1.0, 4, 16),   # e = -(2 - 2/w); each stripe wraps: one domain
    ("stripes of 4", _stripes(16, 4), 0.0, -1.5, 4, 64),
])
def test_known_lattices(name, lattice, m, e, domains, largest):
    q = physics.per_image(lattice[None])
    loop_m, loop_e, loop_g = _by_loops(lattice)
    assert (q["m"][0], q["e"][0]) == pytest.approx((m, e)) and (loop_m, loop_e) == pytest.approx((m, e))
    np.testing.assert_allclose(q["g"][0], loop_g, atol=1e-12)
    assert q["g"][0][0] == pytest.approx(1.0)
    size = lattice.shape[0]
    assert q["domain_size"][0] == pytest.approx(size * size / domains)
    assert q["largest_domain"][0] == pytest.approx(largest / size**2)


def test_domains_join_across_the_periodic_boundary():
    s = -np.ones((8, 8), np.int8)
    s[3, 0] = s[3, 7] = 1   # one domain across the left/right edge
    s[0, 5] = s[7, 5] = 1   # one across the top/bottom edge
    counts, largest = physics.domain_statistics(s[None])
    assert counts[0] == 3 and largest[0] == 60


def test_random_spins_are_uncorrelated():
    rng = np.random.default_rng(3)
    s = np.where(rng.random((400, 16, 16)) > 0.5, 1, -1).astype(np.int8)
    table = observables(s, np.full(400, 9.0), bootstrap=50)
    g = table[table["observable"].str.startswith("G(")]
    assert g["value"].iloc[0] == 1.0
    far = g.iloc[1:]
    assert (np.abs(far["value"]) < 4 * far["sd"]).all()


def test_peak_temperature_is_the_vertex_of_the_parabola_through_the_highest_interior_maximum():
    t = np.linspace(0.5, 4.5, 9)
    assert peak_temperature(t, -(t - 2.3) ** 2) == pytest.approx(2.3)
    assert peak_temperature(t, 1 / t + np.exp(-((t - 3.0) ** 2) / 0.1)) == pytest.approx(3.0, abs=0.1)
    assert np.isnan(peak_temperature(t, t)) and np.isnan(peak_temperature(t, 1 / t))  # monotone: no peak
    assert np.isnan(peak_temperature(t, np.full(9, np.nan)))


def _real_set(seed, temperatures, per_temperature=128, size=16):
    t = np.repeat(np.asarray(temperatures, np.float32), per_temperature)
    return simulate(t, size, seed=seed, threads=1)["images"], t


def test_two_real_sets_sit_at_the_floor_and_a_wrong_set_far_above_it():
    temps = [1.0, 2.0, TC, 3.0]
    a = observables(*_real_set(11, temps), bootstrap=100, seed=0)
    b = observables(*_real_set(12, temps), bootstrap=100, seed=0)
    floor = distances(b, a)
    for name in SCALARS:  # E|X − Y| / σ = 2/√π ≈ 1.13 for two Gaussian estimators of the same sd
        assert floor[f"dist_{name}"] < 3.0, (name, floor)
    images, t = _real_set(13, temps)
    noise = np.where(np.random.default_rng(0).random(images.shape) > 0.5, 255, 0).astype(np.uint8)
    wrong = distances(observables(noise, t, bootstrap=100), a)
    assert wrong["dist_e"] > 20 and wrong["dist_abs_m"] > 10


def test_distances_need_the_same_grid_and_n():
    images, t = _real_set(11, [1.0, 3.0], per_temperature=8)
    a = observables(images, t, bootstrap=10)
    with pytest.raises(UserError, match="images per temperature"):
        distances(observables(images[::2], t[::2], bootstrap=10), a)
    with pytest.raises(UserError, match="temperatures"):
        distances(observables(images[:8], t[:8], bootstrap=10), a)


def test_bad_input_is_named():
    with pytest.raises(UserError, match="shape"):
        physics.spins(np.zeros((4, 4)))
    with pytest.raises(UserError, match="T = 1 has 1 image"):
        observables(np.zeros((1, 4, 4), np.uint8), [1.0])
