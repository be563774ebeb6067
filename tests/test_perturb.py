"""ε-perturbation at Tc: reference reproducibility, BcGAN vs CGAN bin resolution, file round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bcgan.data.ising import TC
from bcgan.errors import UserError
from bcgan.evaluation.perturb import (
    binarise,
    noise_from_seeds,
    noise_seeds,
    perturbation_sweep,
    read_perturbation,
    write_perturbation,
)
from bcgan.nets.models import build_generator

T_RANGE = (0.05, 2 * TC)


def _generator(variant):
    torch.manual_seed(1)
    return build_generator(variant, image_size=16, channels=8, z_dim=8, t_range=T_RANGE)


def test_epsilon_zero_gives_zero_difference():
    p = perturbation_sweep(_generator("bcgan"), [0.0, 1e-2, 0.0], t0=TC, seeds=noise_seeds(3, 2))
    for e in (0, 2):
        np.testing.assert_array_equal(p.continuous[:, e], p.reference)
        assert np.all(p.changed_fraction[:, e] == 0) and np.all(p.mean_abs_delta[:, e] == 0)
    assert p.continuous.shape == (2, 3, 16, 16) and p.images.dtype == np.uint8


def test_bcgan_resolves_an_epsilon_that_stays_inside_a_cgan_bin():
    eps = 1e-4
    cgan = _generator("cgan64")
    t = torch.tensor([TC, TC + eps], dtype=torch.float32)
    assert cgan.labels(t)[0] == cgan.labels(t)[1]  # same class bin
    seeds = noise_seeds(11, 3)
    pc = perturbation_sweep(cgan, [eps], t0=TC, seeds=seeds)
    np.testing.assert_array_equal(pc.continuous[:, 0], pc.reference)  # identical images
    pb = perturbation_sweep(_generator("bcgan"), [eps], t0=TC, seeds=seeds)
    assert pb.labels[0] != float(np.float32(TC))  # the raw float32 label moved
    assert np.all(pb.mean_abs_delta[:, 0] > 0)  # every noise row changes
    # a perturbation crossing a bin edge does change the CGAN image (the comparison can fail)
    width = (T_RANGE[1] - T_RANGE[0]) / 64
    pc2 = perturbation_sweep(cgan, [width], t0=TC, seeds=seeds)
    assert pc2.labels[0] != pc.labels[0] and np.all(pc2.mean_abs_delta[:, 0] > 0)


def test_noise_rows_come_from_their_own_seed():
    z2 = noise_from_seeds([4, 5], 8)
    np.testing.assert_array_equal(noise_from_seeds([5], 8)[0], z2[1])
    assert not torch.equal(z2[0], z2[1])
    assert noise_seeds(7, 3).tolist() == [7, 8, 9]
    with pytest.raises(UserError):
        noise_seeds(7, 0)


def test_binarise_follows_the_spin_rule():
    assert binarise(np.array([-0.5, 0.0, 1e-6, 1.0])).tolist() == [0, 0, 255, 255]


def test_roundtrip_is_bit_identical(tmp_path):
    p = perturbation_sweep(_generator("bcgan"), [0.0, 1e-6], t0=TC, seeds=noise_seeds(0, 1))
    write_perturbation(tmp_path / "p.h5", p)
    q = read_perturbation(tmp_path / "p.h5")
    assert q.variant == "bcgan" and q.t0 == TC
    for name in ("epsilon", "temperature", "z", "reference", "continuous", "changed_fraction", "mean_abs_delta"):
        np.testing.assert_array_equal(getattr(q, name), getattr(p, name))
    p2 = perturbation_sweep(_generator("bcgan"), [0.0, 1e-6], t0=TC, seeds=noise_seeds(0, 1))
    np.testing.assert_array_equal(p2.continuous, p.continuous)  # same inputs, same images


def test_overlay_colours_changed_pixels():
    from bcgan.figures.epsilon_overlay import BLUE, GRAY_DOWN, GRAY_UP, RED, overlay

    a = np.array([[0, 255], [0, 255]], np.uint8)
    b = np.array([[255, 0], [0, 255]], np.uint8)
    rgb = overlay(a, b)
    np.testing.assert_array_equal(rgb[0, 0], BLUE)   # - -> +
    np.testing.assert_array_equal(rgb[0, 1], RED)    # + -> -
    assert np.all(rgb[1, 0] == GRAY_DOWN) and np.all(rgb[1, 1] == GRAY_UP)


def test_epsilon_figures_draw():
    from bcgan.figures import epsilon_sensitivity, fig6_epsilon, fig9_epsilon_noise

    seeds = noise_seeds(2, 2)
    ps = [perturbation_sweep(_generator(v), [0.0, 1e-4, 1e-1], t0=TC, seeds=seeds) for v in ("cgan64", "bcgan")]
    assert len(fig6_epsilon.draw(ps[1]).axes) == 3
    assert len(fig9_epsilon_noise.draw(ps[1]).axes) == 6
    fig = epsilon_sensitivity.draw(ps)
    assert fig.axes[0].get_xscale() == "log" and len(fig.axes[0].lines) == 2
