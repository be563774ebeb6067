"""Hinge and CcGAN vicinal losses on tiny inputs whose values are computed by hand."""

import math

import numpy as np
import pytest
import torch

from bcgan.errors import UserError
from bcgan.nets.ccgan import vicinity_parameters, vicinity_radius
from bcgan.nets.losses import (
    hinge_d_loss,
    hinge_g_loss,
    mode_seeking_loss,
    sample_vicinal_batch,
    vicinal_d_loss,
    vicinal_weights,
)


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


def test_mode_seeking_term_by_hand_and_blind_to_a_spin_flip():
    """1 / (d_I / d_z + eps), d_I the flip-invariant mean distance of the pairs, d_z of their noises."""
    a = torch.tensor([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]])
    b = torch.tensor([[1.0, -1.0, -1.0, -1.0], [-1.0, 1.0, -1.0, 1.0]])  # pair 1: 1 spin of 4 differs; pair 2: -a
    za, zb = torch.zeros(2, 3), torch.full((2, 3), 0.5)
    # pair 1: min(mean|a-b| = 0.5, mean|a+b| = 1.5) = 0.5; pair 2 (a flipped): min(2, 0) = 0; d_I = 0.25
    assert mode_seeking_loss(a, b, za, zb, eps=0.0).item() == pytest.approx(1 / (0.25 / 0.5))
    assert mode_seeking_loss(a, -a, za, zb, eps=1e-5).item() == pytest.approx(1e5)  # a flip is no diversity
    # two independent random lattices differ in about half their spins, either way round: d_I in (0.9, 1]
    g = torch.Generator().manual_seed(0)
    x, y = (torch.randint(0, 2, (64, 32 * 32), generator=g).float() * 2 - 1 for _ in range(2))
    assert 0.5 / 1.0 <= mode_seeking_loss(x, y, za, zb, eps=0.0).item() <= 0.5 / 0.9


def test_mode_seeking_g_step_pairs_two_noises_per_label():
    """G's step of a mode-seeking arm: the second half of the batch repeats the first half's labels."""
    from bcgan.training.loop import g_step

    seen = []

    class G(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, z, labels):
            seen.append(labels.clone())
            return torch.tanh(self.w * z[:, :4]).view(-1, 1, 2, 2)

    class D(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.v = torch.nn.Parameter(torch.ones(1))

        def forward(self, x, labels):
            return self.v * x.flatten(1).mean(1)

    g, d = G(), D()
    opt = torch.optim.SGD(g.parameters(), lr=0.0)
    z, labels = torch.randn(5, 4), torch.tensor([0.5, 1.0, 2.0, 3.0, 4.0])
    plain = g_step(g, d, opt, z, labels)
    assert torch.equal(seen[-1], labels)
    paired = g_step(g, d, opt, z, labels, mode_seeking=2.0)
    assert seen[-1].tolist() == [0.5, 1.0, 0.5, 1.0, 4.0]  # odd batch: the last label keeps its own
    fake = torch.tanh(z[:, :4]).view(-1, 1, 2, 2)
    hinge = -(fake.flatten(1).mean(1)).mean()
    assert plain.item() == pytest.approx(hinge.item())
    assert paired.item() == pytest.approx(hinge.item() + 2.0 * mode_seeking_loss(fake[:2], fake[2:4], z[:2], z[2:4]).item())
