"""Progress evaluation while training: exact Ising observables, fixed-seed rows, no side effects, resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import labelled_images

import bcgan.training.loop as tr
from bcgan.nets.models import build_generator
from bcgan.psd.metrics import energy_per_spin, magnetisation
from bcgan.psd.response import fit_response
from bcgan.psd.spectrum import psd_fit
from bcgan.training.loop import TrainConfig, train_gan
from bcgan.training.progress import (
    COLUMNS,
    evaluate,
    make_eval_set,
    read_progress_csv,
    real_reference,
    write_progress_csv,
)

L, N, T_RANGE = 16, 48, (0.05, 4.5)
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_energy_and_magnetisation_of_known_lattices():
    up = np.full((1, 8, 8), 255, np.uint8)
    checker = np.where(np.add.outer(np.arange(8), np.arange(8)) % 2 == 0, 255, 0).astype(np.uint8)[None]
    stripes = np.where(np.arange(8)[:, None] % 2 == 0, 255, 0).repeat(8, axis=1).astype(np.uint8)[None]
    assert energy_per_spin(up)[0] == -2.0 and energy_per_spin(255 - up)[0] == -2.0
    assert energy_per_spin(checker)[0] == 2.0  # every bond antiparallel
    assert energy_per_spin(stripes)[0] == 0.0  # half the bonds parallel
    # one flipped spin in an ordered lattice breaks 4 bonds: ΔE = 8 J, i.e. 8/N per spin
    one = up.copy()
    one[0, 3, 3] = 0
    assert energy_per_spin(one)[0] == pytest.approx(-2.0 + 8 / 64)
    assert magnetisation(up)[0] == 1 and magnetisation(checker)[0] == 0 and magnetisation(one)[0] == 62 / 64


def response_and_data():
    images, t = labelled_images(N, L, T_RANGE, seed=1)
    fit = psd_fit(images, floor=1.0)
    meta = {"tc": 2.269, "k_min": fit.k_min, "k_max": fit.k_max, "floor": 1.0}
    model = fit_response(fit.slope, fit.intercept, t, n_bins=4, min_count=3, meta=meta)
    return images, t, model


def eval_set():
    images, t, model = response_and_data()
    return make_eval_set(images, t, model, n_temperatures=3, per_temperature=4, seed=5)


def test_evaluation_is_fixed_by_its_seeds_and_changes_nothing():
    es = eval_set()
    torch.manual_seed(0)
    G = build_generator("bcgan", L, 8, 16, T_RANGE).train()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    rng = torch.get_rng_state()
    a, b = evaluate(G, es), evaluate(G, es)
    np.testing.assert_equal(a, b)  # NaN equal to NaN: the binade Spearmans need >= 3 grid points
    assert set(a) == set(COLUMNS[2:])
    assert G.training  # back in training mode
    assert torch.equal(torch.get_rng_state(), rng)  # no global random draws
    for k, v in G.state_dict().items():
        assert torch.equal(v, before[k]), k  # BatchNorm statistics and weights untouched
    assert 0 <= a["diversity_flip"] <= a["diversity"] <= 1 and 0 <= a["frac_positive"] <= 1


def test_real_reference_of_the_training_images_is_near_perfect():
    images, t, model = response_and_data()
    es = make_eval_set(images, t, model, n_temperatures=3, per_temperature=4, seed=5)
    real = real_reference(images, t, es)
    assert real["energy_error"] == pytest.approx(0.0, abs=1e-12)  # the same images as the reference


def cfg(epochs):
    return TrainConfig(variant="cgan64", g_channels=8, d_channels=8, z_dim=16, t_range=T_RANGE, epochs=epochs,
                       batch_size=8, seed=7)


class Crash(Exception):
    pass


def test_progress_rows_survive_a_crash_bit_identically(tmp_path, monkeypatch):
    images, t, _ = response_and_data()
    es = eval_set()
    per_epoch = N // 8
    _, _, ref = train_gan(images, t, cfg(2), eval_set=es, eval_every=4, progress=False)
    assert [r["iteration"] for r in ref.progress] == [4, 8, 12]  # every 4 iterations and the end
    assert [r["images_seen"] for r in ref.progress] == [32, 64, 96]
    calls = {"n": 0}
    real_g_step = tr.g_step

    def dying(*a, **k):
        calls["n"] += 1
        if calls["n"] == per_epoch + 3:
            raise Crash
        return real_g_step(*a, **k)

    monkeypatch.setattr(tr, "g_step", dying)
    with pytest.raises(Crash):
        train_gan(images, t, cfg(2), checkpoint=tmp_path / "ck.pt", eval_set=es, eval_every=4, progress=False)
    monkeypatch.setattr(tr, "g_step", real_g_step)
    _, _, res = train_gan(images, t, cfg(2), checkpoint=tmp_path / "ck.pt", eval_set=es, eval_every=4,
                          progress=False)
    for rows_ref, rows_res in ((ref.progress, res.progress), (ref.progress_ema, res.progress_ema)):
        write_progress_csv(tmp_path / "ref.csv", rows_ref)
        write_progress_csv(tmp_path / "res.csv", rows_res)
        assert (tmp_path / "ref.csv").read_bytes() == (tmp_path / "res.csv").read_bytes()
    assert ref.progress_ema != ref.progress  # the average is a different generator
    write_progress_csv(tmp_path / "ref.csv", ref.progress)
    back = read_progress_csv(tmp_path / "ref.csv")
    assert back["mae_all"].tolist() == [r["mae_all"] for r in ref.progress]  # exact round trip
    # training without evaluation gives the same model: evaluating has no side effects
    G_plain, _, _ = train_gan(images, t, cfg(2), progress=False)
    G_eval, _, _ = train_gan(images, t, cfg(2), eval_set=es, eval_every=4, progress=False)
    for k, v in G_plain.state_dict().items():
        assert torch.equal(v, G_eval.state_dict()[k]), k


def test_diversity_by_region_splits_the_grid_at_tc():
    """One image per temperature above Tc and independent ones below: the grid mean hides it, the regions
    do not (regions as T-MAE's: near = |T − Tc| < 0.1 Tc)."""
    from bcgan.data.ising import TC
    from bcgan.psd.metrics import diversity
    from bcgan.psd.response import region_of
    from bcgan.training.progress import diversity_by_region

    grid = np.array([0.5, 1.5, TC, 3.0, 4.0], np.float32)
    assert list(region_of(grid, tc=TC, near_frac=0.1)) == ["below", "below", "near", "above", "above"]
    rng = np.random.default_rng(0)
    t = np.repeat(grid, 40)
    images = np.where(rng.random((t.size, 16, 16)) > 0.5, 255, 0).astype(np.uint8)
    images[t > TC + 0.5] = images[t > TC + 0.5][0]  # above Tc: one image, repeated
    _, per_t = diversity(images, t, flip_invariant=True)
    regions = diversity_by_region(per_t["key"], per_t["diversity"], tc=TC, near_frac=0.1)
    assert regions["diversity_flip_above"] == 0.0
    expected = 0.5 - np.sqrt(2 / np.pi) / (2 * 16)  # E min(d, 1 − d) = ½ − E|d − ½|, d ~ Bin(256, ½)/256
    assert regions["diversity_flip_below"] == pytest.approx(expected, abs=0.01)
    assert regions["diversity_flip_near"] == pytest.approx(expected, abs=0.01)
    assert np.isnan(diversity_by_region(grid[:2], [0.1, 0.2], tc=TC, near_frac=0.1)["diversity_flip_above"])
