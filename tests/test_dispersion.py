"""Temperature dispersion (bcgan.evaluation.dispersion, `bcgan analyse dispersion`): exact on constructed
inputs, and on Monte Carlo lattices a set mixed from two temperatures is wider than one made at its label."""

import numpy as np
import pandas as pd
import pytest

from bcgan.data.ising import simulate
from bcgan.errors import UserError
from bcgan.evaluation.dispersion import dispersion, energy_curve, temperature_of_energy, widths
from bcgan.psd.metrics import energy_per_spin

L = 32
TC = 2.269


def test_energy_curve_means_per_temperature_and_never_falls():
    t = np.array([1.0, 1.0, 2.0, 2.0, 3.0])
    e = np.array([-1.8, -1.6, -1.2, -1.4, -1.35])  # the mean at 3.0 dips below 2.0's: a sampling wiggle
    grid, mean = energy_curve(e, t)
    np.testing.assert_allclose(grid, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(mean, [-1.7, -1.3, -1.3])
    with pytest.raises(UserError, match="2 distinct"):
        energy_curve([-1.0, -1.1], [2.0, 2.0])


def test_temperature_of_energy_inverts_the_curve_and_clips():
    curve = (np.array([1.0, 2.0, 4.0]), np.array([-1.9, -1.5, -0.5]))
    np.testing.assert_allclose(temperature_of_energy([-1.9, -1.5, -0.5], curve), [1.0, 2.0, 4.0])
    np.testing.assert_allclose(temperature_of_energy([-1.7, -1.0], curve), [1.5, 3.0])
    np.testing.assert_allclose(temperature_of_energy([-2.0, 0.0], curve), [1.0, 4.0])


def test_dispersion_sd_and_correlation_by_region():
    labels = np.repeat([1.0, 1.5, 3.0], 4)  # two labels below Tc, one above, none near
    dev = np.tile([-0.3, -0.1, 0.1, 0.3], 3)
    out = dispersion(labels, labels + dev, labels - 2 * dev, tc=TC, near_frac=0.1)
    sd = np.std([-0.3, -0.1, 0.1, 0.3], ddof=1)
    assert out["below"]["sd_t_psd"] == pytest.approx(sd)
    assert out["below"]["sd_t_energy"] == pytest.approx(2 * sd)
    assert out["above"]["correlation"] == pytest.approx(-1.0)
    assert np.isnan(out["near"]["sd_t_psd"])
    with pytest.raises(UserError, match="2 images"):
        dispersion([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], tc=TC, near_frac=0.1)


@pytest.fixture(scope="module")
def monte_carlo():
    """Lattices at 17 temperatures around 3 (curve and reference, wide enough that T_e is not clipped), and
    a set labelled 3.0 but made half at 2.6 and half at 3.4."""
    grid = np.round(np.linspace(2.2, 3.8, 17), 2).astype(np.float32)
    real = simulate(np.repeat(grid, 48), L, seed=1)
    mixed_t = np.repeat(np.float32([2.6, 3.4]), 24)
    mixed = simulate(mixed_t, L, seed=2)
    return grid, real, mixed


def test_a_mixture_of_two_temperatures_is_wider_by_their_spacing(monte_carlo):
    grid, real, _ = monte_carlo
    labels = np.repeat(grid, 48)
    curve = energy_curve(real["energy"], labels)
    # energy_per_spin of the stored images is the simulator's energy: T_e reads the lattice itself
    np.testing.assert_allclose(energy_per_spin(real["images"]), real["energy"], atol=1e-12)
    t_e = temperature_of_energy(real["energy"], curve)
    at_3 = labels == np.float32(3.0)
    pure = np.std(t_e[at_3], ddof=1)
    _, _, mixed = monte_carlo
    t_e_mixed = temperature_of_energy(mixed["energy"], curve)
    wide = np.std(t_e_mixed, ddof=1)
    # a 50/50 mixture of 3 ± 0.4 adds variance 0.4² · n/(n − 1) to the single temperature's
    expected = np.sqrt(pure ** 2 + 0.4 ** 2 * 48 / 47)
    assert wide > 2 * pure
    assert wide == pytest.approx(expected, rel=0.25)


def test_analyse_dispersion_cli(monte_carlo, tmp_path, capsys):
    from bcgan.cli import main
    from bcgan.data.shards import write_samples
    from bcgan.psd.response import fit_response, save_response
    from bcgan.psd.spectrum import psd_fit

    grid, real, mixed = monte_carlo
    labels = np.repeat(grid, 48)
    fit = psd_fit(real["images"], floor=1.0)
    meta = {"tc": TC, "k_min": fit.k_min, "k_max": fit.k_max, "floor": 1.0}
    save_response(fit_response(fit.slope, fit.intercept, labels, n_bins=17, min_count=3, meta=meta),
                  tmp_path / "response.json")
    write_samples(tmp_path / "real.h5", images=real["images"], temperature=labels, noise_seed=real["seed"],
                  variant="monte-carlo")
    write_samples(tmp_path / "mixed.h5", images=mixed["images"], temperature=np.full(48, 3.0, np.float32),
                  noise_seed=mixed["seed"], variant="mixed")
    args = ["analyse", "dispersion", str(tmp_path / "mixed.h5"), "--real", str(tmp_path / "real.h5"),
            "--response", str(tmp_path / "response.json"), "--out", str(tmp_path / "d.csv")]
    assert main(args) == 0
    table = pd.read_csv(tmp_path / "d.csv")
    assert list(table["images"]) == [f"{tmp_path / 'real.h5'} (Monte Carlo)", str(tmp_path / "mixed.h5")]
    assert table.sd_t_energy_above[1] > 1.5 * table.sd_t_energy_above[0]
    assert table.sd_t_psd_above[1] > table.sd_t_psd_above[0]
    assert table.correlation_above[1] > 0.5  # the hotter half is hotter by both readings

    write_samples(tmp_path / "other.h5", images=mixed["images"], temperature=np.full(48, 2.0, np.float32),
                  noise_seed=mixed["seed"], variant="other")
    args[2] = str(tmp_path / "other.h5")
    args[-1] = str(tmp_path / "e.csv")
    assert main(args) == 2
    assert "not those of --real" in capsys.readouterr().err
    assert not (tmp_path / "e.csv").exists()


def test_widths_are_exact_on_lattices_of_known_energy_and_magnetisation():
    """Two all-up and two checkerboard lattices at T = 1 (e = −2 and +2, |m| = 1 and 0), two of each at
    T = 3: T_e off the curve (1, −2), (3, 2) is 1 or 3, χ = N var(|m|)/T, C = N var(e)/T²."""
    from bcgan.evaluation.physics import observables

    size, size_sq = 16, 256
    up = np.full((size, size), 255, np.uint8)
    check = (np.indices((size, size)).sum(axis=0) % 2 * 255).astype(np.uint8)
    images = np.stack([up, up, check, check] * 2)
    t = np.repeat(np.float32([1.0, 3.0]), 4)
    curve = (np.array([1.0, 3.0]), np.array([-2.0, 2.0]))
    out = widths(images, t, observables(images, t, bootstrap=2), curve, tc=TC, near_frac=0.1)
    var = np.var([1.0, 1.0, 0.0, 0.0], ddof=1)
    assert out["t_energy"]["below"] == pytest.approx(np.std([1, 1, 3, 3], ddof=1))
    assert out["chi"]["below"] == pytest.approx(size_sq * var / 1.0)
    assert out["chi"]["above"] == pytest.approx(size_sq * var / 3.0)
    assert out["heat_capacity"]["above"] == pytest.approx(size_sq * np.var([-2, -2, 2, 2], ddof=1) / 9.0)
    assert np.isnan(out["chi"]["near"])
