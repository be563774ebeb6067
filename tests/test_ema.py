"""The moving average of G's weights: the update formula, and that training never reads it."""

from __future__ import annotations

import pytest
import torch
from conftest import labelled_images

from bcgan.ema import average_copy, check_decay, effective_decay, update
from bcgan.errors import UserError
from bcgan.train import TrainConfig, train_gan

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_warm_up_then_the_configured_decay():
    assert effective_decay(0.999, 0) == pytest.approx(0.1)  # the first update mostly takes the model
    assert effective_decay(0.999, 90) == pytest.approx(91 / 100)
    assert effective_decay(0.999, 10**6) == 0.999
    assert effective_decay(0.5, 8) == 0.5  # (1 + 8) / 18 = 0.5: the warm-up has ended
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(UserError, match="ema_decay"):
            check_decay(bad)


def test_update_averages_floats_and_copies_counters():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    avg = average_copy(model)
    assert not any(p.requires_grad for p in avg.parameters())
    start = {k: v.clone() for k, v in avg.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model(torch.randn(4, 2))  # moves the running statistics and the counter
    update(avg, model, decay=0.5, updates=8)  # decay exactly 0.5: exact in binary
    for name, value in avg.state_dict().items():
        new = model.state_dict()[name]
        if value.is_floating_point():
            assert torch.equal(value, 0.5 * start[name] + 0.5 * new), name
        else:
            assert torch.equal(value, new), name  # num_batches_tracked
    assert avg.state_dict()["1.num_batches_tracked"] == 1


def test_training_never_reads_the_average():
    images, t = labelled_images(32, 16, (0.05, 4.5), seed=3)

    def run(decay):
        cfg = TrainConfig(variant="bcgan", g_channels=8, d_channels=8, z_dim=16, t_range=(0.05, 4.5), epochs=1,
                          batch_size=8, seed=5, ema_decay=decay)
        return train_gan(images, t, cfg, progress=False)

    (G1, D1, r1), (G2, D2, r2) = run(0.5), run(0.99)
    assert r1.rows == r2.rows
    for a, b in ((G1, G2), (D1, D2)):
        for k, v in a.state_dict().items():
            assert torch.equal(v, b.state_dict()[k]), k
