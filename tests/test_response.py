"""bcgan.psd.response: recovers a known curve exactly, and temperatures of real Ising images within the spread."""

from __future__ import annotations

import numpy as np
import pytest

from bcgan.errors import UserError
from bcgan.psd.response import (
    accuracy_table,
    estimate_temperature,
    fit_response,
    load_response,
    region_of,
    save_response,
)

TC = 2.0 / np.log(1.0 + np.sqrt(2.0))


def synthetic(n, seed, noise=0.02):
    """PSD parameters on a known, monotone curve: slope = -3 + 0.5 T, intercept = 10 - T^2 / 4."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.1, 4.5, n)
    return -3 + 0.5 * t + noise * rng.standard_normal(n), 10 - t**2 / 4 + noise * rng.standard_normal(n), t


def test_known_curve_is_recovered():
    s, i, t = synthetic(4000, 0)
    model = fit_response(s, i, t, n_bins=20)
    g = model.t_grid
    inner = (g > model.bin_t[0]) & (g < model.bin_t[-1])
    np.testing.assert_allclose(model.mean[inner, 0], -3 + 0.5 * g[inner], atol=0.01)
    np.testing.assert_allclose(model.mean[inner, 1], 10 - g[inner] ** 2 / 4, atol=0.03)
    np.testing.assert_allclose(np.sqrt(model.cov[inner, 0, 0]), 0.02, rtol=0.25)
    s2, i2, t2 = synthetic(500, 1)
    est = estimate_temperature(model, s2, i2)
    inside = (t2 > model.bin_t[0]) & (t2 < model.bin_t[-1])
    # the slope alone pins T to +-0.04 (noise 0.02 / 0.5), the intercept tightens it further
    assert np.abs(est - t2)[inside].mean() < 0.04
    # exactly on the curve: error below the grid spacing
    tq = np.linspace(0.5, 4.0, 9)
    np.testing.assert_allclose(estimate_temperature(model, -3 + 0.5 * tq, 10 - tq**2 / 4), tq, atol=0.02)


def test_save_load_round_trip(tmp_path):
    s, i, t = synthetic(600, 2)
    model = fit_response(s, i, t, n_bins=8, grid_size=64, meta={"L": 16, "k_min": 1, "k_max": 7})
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_response(model, a)
    back = load_response(a)
    np.testing.assert_array_equal(back.mean, model.mean)
    np.testing.assert_array_equal(back.cov, model.cov)
    assert back.meta["k_max"] == 7
    np.testing.assert_array_equal(estimate_temperature(back, s, i), estimate_temperature(model, s, i))
    save_response(back, b)
    assert a.read_bytes() == b.read_bytes()  # reproducible bytes
    (tmp_path / "c.json").write_text('{"format": "something else"}')
    with pytest.raises(UserError, match="c.json"):
        load_response(tmp_path / "c.json")
    (tmp_path / "d.json").write_text(a.read_text()[:100])
    with pytest.raises(UserError, match="d.json"):
        load_response(tmp_path / "d.json")


@pytest.mark.parametrize("spoil, named", [
    (lambda d: d["mean"][3].__setitem__(0, float("nan")), "mean"),
    (lambda d: d["t_grid"].__setitem__(5, float("nan")), "t_grid"),
    (lambda d: d["cov"][0][0].__setitem__(0, float("inf")), "cov"),
    (lambda d: d["meta"].__setitem__("tc", float("nan")), "meta tc"),
    (lambda d: d["t_grid"].reverse(), "t_grid is not increasing"),
])
def test_a_response_file_with_non_finite_numbers_is_refused(tmp_path, spoil, named):
    """JSON reads NaN; estimates from it would be nan or stuck at the grid's first T (issue 37)."""
    import json

    s, i, t = synthetic(600, 2)
    path = tmp_path / "r.json"
    save_response(fit_response(s, i, t, n_bins=8, grid_size=64, meta={"L": 16, "tc": 2.269}), path)
    doc = json.loads(path.read_text())
    spoil(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=f"r.json: {named}") as info:
        load_response(path)
    assert "\n" not in str(info.value)


def test_accuracy_table_regions():
    t = np.array([1.0, 1.5, TC - 0.1, TC + 0.2, 3.0, 4.0])
    est = t + np.array([0.5, -0.5, 0.1, -0.1, 0.2, 0.2])
    assert list(region_of(t, tc=TC, near_frac=0.1)) == ["below", "below", "near", "near", "above", "above"]
    tab = accuracy_table(t, est, tc=TC, near_frac=0.1).set_index("region")
    assert tab.loc["below", "n"] == 2 and tab.loc["below", "mae"] == pytest.approx(0.5)
    assert tab.loc["below", "bias"] == pytest.approx(0.0)
    assert tab.loc["near", "mae"] == pytest.approx(0.1)
    assert tab.loc["above", "bias"] == pytest.approx(0.2)
    assert tab.loc["all", "n"] == 6
    empty = accuracy_table([3.0], [3.1], tc=TC).set_index("region")
    assert empty.loc["below", "n"] == 0 and np.isnan(empty.loc["below", "mae"])


def test_bad_inputs():
    s, i, t = synthetic(50, 3)
    with pytest.raises(UserError, match="more than one temperature"):
        fit_response(s, i, np.full_like(t, 2.0))
    with pytest.raises(UserError, match="length"):
        fit_response(s, i[:-1], t)
    with pytest.raises(UserError, match="NaN"):
        fit_response(np.where(t > 2, np.nan, s), i, t)
    with pytest.raises(UserError, match="bins"):
        fit_response(s[:6], i[:6], t[:6], n_bins=10)
    with pytest.raises(UserError, match="near-Tc"):
        accuracy_table(t, t, tc=TC, near_frac=1.5)


def test_real_ising_images_recover_temperature():
    """Fit on simulated L=16 training images, test on fresh images at known temperatures."""
    ising = pytest.importorskip("bcgan.data.ising")
    from bcgan.psd.spectrum import psd_fit

    L = 16
    t_train = ising.dataset_temperatures(0.05, 2 * TC, 11, 0, 800)
    train = ising.simulate(t_train, L, seed=11, threads=1)["images"]
    levels = np.array([0.8, 1.0, 1.3, 1.7]) * TC
    t_test = np.repeat(levels, 40).astype(np.float32)
    test = ising.simulate(t_test, L, seed=12, threads=1)["images"]

    f_train = psd_fit(train, floor=1.0, workers=1)
    model = fit_response(f_train.slope, f_train.intercept, t_train, n_bins=12)
    f_test = psd_fit(test, floor=1.0, workers=1)
    est = estimate_temperature(model, f_test.slope, f_test.intercept)
    med = np.array([np.median(est[t_test == lv]) for lv in levels.astype(np.float32)])
    assert np.all(np.diff(med) > 0), med  # the order of the temperatures is recovered
    assert np.all(np.abs(med - levels) < 0.15 * levels), (med, levels)
    # within the spread the model itself measures: error below the T-spread implied by the
    # slope spread and the local slope of the mean curve (|d mean slope / dT|)
    tab = accuracy_table(t_test, est, tc=TC).set_index("region")
    g = model.t_grid
    dsdT = np.gradient(model.mean[:, 0], g)
    near = np.abs(g - TC) < 0.1 * TC
    implied = np.median(np.sqrt(model.cov[near, 0, 0]) / np.abs(dsdT[near]))
    assert tab.loc["near", "mae"] < 1.5 * implied, (tab.loc["near", "mae"], implied)


def test_fig2_draws_labelled_panels(tmp_path):
    from bcgan.figures.fig2_response import draw
    from bcgan.figures.style import save_figure

    s, i, t = synthetic(400, 4, noise=0.1)
    model = fit_response(s, i, t, n_bins=8, grid_size=128)
    fig = draw(s, i, t, model, tc=TC, max_points=300)
    labels = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    assert any("J/k_B" in lab for lab in labels) and any("slope" in lab for lab in labels)
    save_figure(fig, tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000
