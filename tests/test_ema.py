"""The moving average of G's weights: the update formula, and that training never reads it."""

from __future__ import annotations

import pytest
import torch
from conftest import labelled_images

from bcgan.errors import UserError
from bcgan.training.ema import average_copy, check_decay, effective_decay, update
from bcgan.training.loop import TrainConfig, train_gan

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


def test_standing_statistics_are_the_batch_statistics_of_the_averaged_network():
    import copy

    import numpy as np

    from bcgan.nets.models import build_generator
    from bcgan.nets.sampling import noise_vectors
    from bcgan.training.ema import with_standing_statistics

    torch.manual_seed(0)
    G = build_generator("cgan64", 16, 8, 16, (0.05, 4.5))
    before = {k: v.clone() for k, v in G.state_dict().items()}
    t = np.linspace(0.1, 4.4, 40).astype(np.float32)
    seeds = np.arange(40, dtype=np.uint64) + 7
    standing = with_standing_statistics(G, t, seeds, batch_size=40)
    assert all(torch.equal(v, G.state_dict()[k]) for k, v in before.items())  # the average is untouched
    assert not standing.training
    # the same set in one batch with batch statistics (BatchNorm layers in train mode, nothing else)
    probe = copy.deepcopy(G).eval()
    inputs = {}
    for name, m in probe.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.train()
            m.register_forward_hook(lambda mod, inp, out, name=name: inputs.__setitem__(name, inp[0]))
    z = torch.from_numpy(noise_vectors(seeds, 16))
    with torch.no_grad():
        batch_out = probe(z, probe.labels(torch.from_numpy(t)))
        eval_out = standing(z, standing.labels(torch.from_numpy(t)))
    norms = dict(standing.named_modules())
    for name, x in inputs.items():
        torch.testing.assert_close(norms[name].running_mean, x.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(norms[name].running_var, x.var(dim=(0, 2, 3), unbiased=True), rtol=1e-4, atol=1e-5)
    # eval mode normalises with the unbiased variance, batch statistics with the biased one: close, not equal
    torch.testing.assert_close(eval_out, batch_out, rtol=0, atol=5e-3)
