"""Hinge and CcGAN vicinal losses on tiny inputs whose values are computed by hand."""

import math

import numpy as np
import pytest
import torch

from bcgan.errors import UserError
from bcgan.nets.ccgan import vicinity_parameters, vicinity_radius
from bcgan.nets.losses import hinge_d_loss, hinge_g_loss, sample_vicinal_batch, vicinal_d_loss, vicinal_weights


def test_hinge_d_loss_by_hand():
    # real: relu(1-2)=0, relu(1-0.5)=0.5 -> 0.25 ; fake: relu(1-2)=0, relu(1+0)=1 -> 0.5
    assert hinge_d_loss(torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])).item() == pytest.approx(0.75)


def test_hinge_g_loss_by_hand():
    assert hinge_g_loss(torch.tensor([1.0, -3.0])).item() == pytest.approx(1.0)


def test_vicinal_weights_by_hand():
    y, t = torch.tensor([0.5, 0.6]), torch.tensor([0.5, 0.5])
    assert vicinal_weights(y, t, 100.0, "soft").tolist() == pytest.approx([1.0, math.exp(-1.0)])
    assert vicinal_weights(y, t, 0.05, "hard").tolist() == [1.0, 0.0]
    with pytest.raises(UserError):
        vicinal_weights(y, t, 1.0, "medium")


def test_vicinal_d_loss_by_hand():
    # real: 1*relu(1-0)=1, 0.5*relu(1-2)=0 -> 0.5 ; fake: 0.5*relu(1+0)=0.5, 1*relu(1-2)=0 -> 0.25
    loss = vicinal_d_loss(torch.tensor([0.0, 2.0]), torch.tensor([0.0, -2.0]),
                          torch.tensor([1.0, 0.5]), torch.tensor([0.5, 1.0]))
    assert loss.item() == pytest.approx(0.75)
    ones = torch.ones(2)  # HVDL inside the vicinity == plain hinge
    r, f = torch.tensor([0.3, -1.0]), torch.tensor([0.2, 0.9])
    assert vicinal_d_loss(r, f, ones, ones).item() == pytest.approx(hinge_d_loss(r, f).item())


def test_vicinity_parameters_rule():
    y = [0.0, 0.1, 0.1, 0.4, 1.0]  # distinct gaps 0.1, 0.3, 0.6
    sigma, kappa = vicinity_parameters(y, "hard", kappa_multiplier=2.0)
    assert sigma == pytest.approx(1.06 * np.std(y) * 5 ** (-0.2))
    assert kappa == pytest.approx(1.2)
    _, nu = vicinity_parameters(y, "soft")
    assert nu == pytest.approx(1 / 0.36)
    assert vicinity_radius(0.3, "hard") == 0.3
    assert vicinity_radius(nu, "soft", 1e-3) == pytest.approx(math.sqrt(math.log(1e3) * 0.36))
    with pytest.raises(UserError):
        vicinity_parameters([0.5, 0.5], "soft")


@pytest.mark.parametrize("kind", ["hard", "soft"])
def test_sample_vicinal_batch_properties(kind):
    rng = np.random.default_rng(0)
    labels = np.sort(rng.uniform(0, 1, 500))
    sigma, kappa = vicinity_parameters(labels, kind, kappa_multiplier=2.0)
    r = vicinity_radius(kappa, kind)
    b = sample_vicinal_batch(labels, 64, sigma, kappa, np.random.default_rng(1), kind=kind)
    assert b.target_labels.shape == b.fake_labels.shape == b.real_index.shape == (64,)
    assert np.all(np.abs(labels[b.real_index] - b.target_labels) <= r + 1e-6)
    assert np.all(np.abs(b.fake_labels - b.target_labels) <= r + 1e-6)
    assert b.fake_labels.min() >= 0 and b.fake_labels.max() <= 1
    if kind == "hard":
        assert np.all(b.real_weights == 1) and np.all(b.fake_weights == 1)
    else:
        assert np.all(b.real_weights >= 1e-3 - 1e-6) and np.all(b.real_weights <= 1)
    again = sample_vicinal_batch(labels, 64, sigma, kappa, np.random.default_rng(1), kind=kind)
    assert np.array_equal(again.real_index, b.real_index)
