"""CcGAN pretraining: the regressor and y2h learn, files round-trip, the CLI chain feeds ccgan training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import labelled_images

from bcgan.cli import main
from bcgan.data.shards import write_shard
from bcgan.nets.models import build_generator
from bcgan.training.pretrain import (
    load_regressor,
    load_y2h,
    normalise_labels,
    save_regressor,
    train_regressor,
    train_y2h,
)

L, N, T_RANGE = 16, 64, (0.05, 4.5)
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def data(seed=0):
    return labelled_images(N, L, T_RANGE, seed)


def test_normalise_labels_matches_ccgan_generator():
    t = np.array([0.05, 1.0, 2.269, 4.5, 9.0], np.float32)
    G = build_generator("ccgan", L, 8, 16, T_RANGE, y2h=__import__("bcgan.nets.ccgan").nets.ccgan.build_y2h(16))
    assert np.array_equal(normalise_labels(t, T_RANGE), G.labels(torch.from_numpy(t)).numpy())
    assert normalise_labels(t, T_RANGE)[[0, 3, 4]].tolist() == [0.0, 1.0, 1.0]


def test_regressor_and_y2h_lower_their_losses(tmp_path):
    images, t = data()
    net, losses = train_regressor(images, t, T_RANGE, embed_dim=64, base_width=4, epochs=6, batch_size=16,
                                  lr=3e-3, seed=0, progress=False)
    assert len(losses) == 6 and losses[-1] < 0.7 * losses[0]
    save_regressor(tmp_path / "r.pt", net, T_RANGE, losses)
    net2, payload = load_regressor(tmp_path / "r.pt")
    x = torch.from_numpy(images[:4]).unsqueeze(1).float() / 127.5 - 1
    with torch.no_grad():
        assert torch.equal(net(x), net2(x))
    assert payload["t_range"] == list(T_RANGE)

    y = normalise_labels(t, T_RANGE)
    y2h, y_losses = train_y2h(net, y, epochs=30, batch_size=16, lr=0.01, seed=0, progress=False)
    assert len(y_losses) == 30
    assert np.mean(y_losses[-5:]) < 0.2 * np.mean(y_losses[:5])
    assert not any(p.requires_grad for p in net.parameters())  # the regressor stayed frozen
    probe = torch.tensor([0.1, 0.5, 0.9])
    with torch.no_grad():
        h = y2h(probe)
        back = net.h2y(h).reshape(-1)
    assert h.shape == (3, 64) and (h >= 0).all()
    assert (back - probe).abs().max() < 0.1  # the regressor's head reads the label back


def test_cli_chain_regressor_y2h_ccgan(tmp_path, capsys):
    images, t = data()
    shard = tmp_path / "shard.h5"
    write_shard(shard, images=images, temperature=t, seed=np.arange(N, dtype=np.uint64), energy=np.zeros(N),
                magnetization=np.zeros(N), steps=1, algorithm="test")
    common = ["--device", "cpu", "--threads", "1", "--no-progress"]
    assert main(["train", "regressor", str(shard), "--t-range", "0.05", "4.5", "--embed-dim", "64", "--width", "4",
                 "--epochs", "1", "--batch-size", "32", "--out", str(tmp_path / "regressor.pt"), *common]) == 0
    assert main(["train", "y2h", str(shard), "--regressor", str(tmp_path / "regressor.pt"), "--epochs", "3",
                 "--out", str(tmp_path / "y2h.pt"), *common]) == 0
    y2h, payload = load_y2h(tmp_path / "y2h.pt")
    assert payload["embed_dim"] == 64 and len(payload["losses"]) == 3
    # the same pretraining gives the same bytes (compared between local and SLURM runs, too)
    assert main(["train", "y2h", str(shard), "--regressor", str(tmp_path / "regressor.pt"), "--epochs", "3",
                 "--out", str(tmp_path / "y2h_again.pt"), *common]) == 0
    assert (tmp_path / "y2h.pt").read_bytes() == (tmp_path / "y2h_again.pt").read_bytes()
    out = tmp_path / "ccgan"
    gan = ["train", "gan", str(shard), "--variant", "ccgan", "--y2h", str(tmp_path / "y2h.pt"), "--g-channels", "8",
           "--d-channels", "8", "--z-dim", "16", "--epochs", "1", "--batch-size", "16",
           "--generator", str(out / "generator.pt"), "--losses", str(out / "losses.csv"),
           "--loss-curve", str(out / "loss_curve.png"), "--checkpoint", str(out / "checkpoint.pt"), *common]
    # a y2h trained for another temperature range is refused
    assert main([*gan, "--t-range", "0.05", "5.0"]) == 2
    assert "t_range" in capsys.readouterr().err
    assert main([*gan, "--t-range", "0.05", "4.5"]) == 0
    from bcgan.training.checkpoints import load_generator

    G, _ = load_generator(out / "generator.pt")
    assert torch.equal(G.embedding.y2h.main[0].weight, y2h.main[0].weight)  # frozen y2h untouched by training
