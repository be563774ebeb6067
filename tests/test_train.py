"""GAN training loop: resume after a crash is bit-identical, NaN stops cleanly, steps learn, CLI works."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from conftest import labelled_images

import bcgan.training.loop as tr
from bcgan.cli import main
from bcgan.data.shards import write_shard
from bcgan.errors import UserError
from bcgan.nets.ccgan import build_y2h
from bcgan.nets.models import build_discriminator, build_generator
from bcgan.training.loop import TrainConfig, read_losses_csv, train_gan, write_losses_csv

L, N, T_RANGE = 16, 32, (0.05, 4.5)
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def data(seed=0):
    return labelled_images(N, L, T_RANGE, seed)


def cfg(variant="bcgan", epochs=2, **kw):
    return TrainConfig(variant=variant, g_channels=8, d_channels=8, z_dim=16, t_range=T_RANGE, epochs=epochs,
                       batch_size=8, lr=1e-4, betas=(0.0, 0.99), seed=7, **kw)


def y2h_for(variant):
    if variant != "ccgan":
        return None
    torch.manual_seed(3)
    return build_y2h(16)


class Crash(Exception):
    pass


@pytest.mark.parametrize("variant", ["bcgan", "ccgan"])
def test_resume_after_crash_is_bit_identical(tmp_path, monkeypatch, variant):
    images, t = data()
    # uninterrupted: 2 epochs
    G_ref, _, ref = train_gan(images, t, cfg(variant), checkpoint=tmp_path / "a.pt", y2h=y2h_for(variant),
                              progress=False)
    # crashed: dies in the middle of epoch 2 (after the epoch-1 checkpoint), like kill -9
    calls = {"n": 0}
    real_g_step = tr.g_step

    def dying_g_step(*a, **k):
        calls["n"] += 1
        if calls["n"] == N // 8 + 2:
            raise Crash
        return real_g_step(*a, **k)

    monkeypatch.setattr(tr, "g_step", dying_g_step)
    with pytest.raises(Crash):
        train_gan(images, t, cfg(variant), checkpoint=tmp_path / "b.pt", y2h=y2h_for(variant), progress=False)
    monkeypatch.setattr(tr, "g_step", real_g_step)
    assert torch.load(tmp_path / "b.pt", weights_only=True)["epoch"] == 1
    # rerun resumes from epoch 1 and finishes epoch 2
    G_res, _, res = train_gan(images, t, cfg(variant), checkpoint=tmp_path / "b.pt", y2h=y2h_for(variant),
                              progress=False)
    sd_ref, sd_res = G_ref.state_dict(), G_res.state_dict()
    assert sd_ref.keys() == sd_res.keys()
    for k in sd_ref:
        assert torch.equal(sd_ref[k], sd_res[k]), k
    assert ref.iterations == res.iterations == 2 * (N // 8)
    # the loss log is byte-identical, and survives a CSV round trip
    write_losses_csv(tmp_path / "ref.csv", ref.rows)
    write_losses_csv(tmp_path / "res.csv", res.rows)
    assert (tmp_path / "ref.csv").read_bytes() == (tmp_path / "res.csv").read_bytes()
    a = read_losses_csv(tmp_path / "ref.csv")
    assert a == [[int(v) if i < 2 else v for i, v in enumerate(r)] for r in ref.rows]


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    images, t = data()
    ck = tmp_path / "ck.pt"
    train_gan(images, t, cfg(epochs=1), checkpoint=ck, progress=False)
    good = ck.read_bytes()
    calls = {"n": 0}
    real_loss = tr.hinge_g_loss

    def nan_after_a_while(logits):
        calls["n"] += 1
        loss = real_loss(logits)
        return loss * float("nan") if calls["n"] >= 2 else loss

    monkeypatch.setattr(tr, "hinge_g_loss", nan_after_a_while)
    with pytest.raises(UserError, match=r"variant bcgan: .*non-finite.* epoch 2, iteration 6"):
        train_gan(images, t, cfg(epochs=2), checkpoint=ck, progress=False)
    assert ck.read_bytes() == good


def test_d_step_lowers_hinge_loss_on_fixed_batch():
    torch.manual_seed(0)
    G = build_generator("cgan64", L, 8, 16, T_RANGE)
    D = build_discriminator("cgan64", L, 8, T_RANGE)
    images, t = data()
    x_real = tr.to_float_images(torch.from_numpy(images[:16]))
    assert x_real.min() == -1 and x_real.max() == 1
    labels = G.labels(torch.from_numpy(t[:16]))
    z = torch.randn(16, 16, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99))

    def d_loss():
        D.eval()
        with torch.no_grad():
            fake = G.eval()(z, labels)
            loss = tr.hinge_d_loss(D(x_real, labels), D(fake, labels)).item()
        D.train()
        G.train()
        return loss

    before = d_loss()
    for _ in range(3):
        tr.d_step(G, D, opt, x_real, z, labels, labels)
    assert d_loss() < before - 1e-3


@pytest.mark.parametrize("change", ["lr", "data", "fewer epochs"])
def test_a_stale_checkpoint_is_not_resumed(tmp_path, change):
    """After a change Snakemake reruns the job: it must train afresh, exactly like a run without checkpoint."""
    images, t = data()
    ck = tmp_path / "ck.pt"
    train_gan(images, t, cfg(epochs=2), checkpoint=ck, progress=False)
    new_cfg, new_images = cfg(epochs=2), images
    if change == "lr":
        new_cfg = TrainConfig(**{**cfg(epochs=2).__dict__, "lr": 1e-3})
    elif change == "data":
        new_images = 255 - images
    else:
        new_cfg = cfg(epochs=1)
    G_resumed, _, res = train_gan(new_images, t, new_cfg, checkpoint=ck, progress=False)
    G_fresh, _, _ = train_gan(new_images, t, new_cfg, progress=False)
    assert res.iterations == new_cfg.epochs * (N // 8)
    for key, value in G_fresh.state_dict().items():
        assert torch.equal(value, G_resumed.state_dict()[key]), key


def test_cli_trains_and_writes_outputs(tmp_path, capsys):
    images, t = data()
    shard = tmp_path / "shard.h5"
    write_shard(shard, images=images, temperature=t, seed=np.arange(N, dtype=np.uint64), energy=np.zeros(N),
                magnetization=np.zeros(N), steps=1, algorithm="test")
    out = tmp_path / "models" / "bcgan"
    args = ["train", "gan", str(shard), "--variant", "bcgan", "--t-range", "0.05", "4.5", "--g-channels", "8",
            "--d-channels", "8", "--z-dim", "16", "--epochs", "1", "--batch-size", "8", "--seed", "1",
            "--device", "cpu", "--threads", "1", "--no-progress", "--generator", str(out / "generator.pt"),
            "--losses", str(out / "losses.csv"), "--loss-curve", str(out / "loss_curve.png"),
            "--checkpoint", str(out / "checkpoint.pt")]
    assert main(args) == 0
    assert "images_per_s=" in capsys.readouterr().out
    from bcgan.training.checkpoints import load_generator

    G, payload = load_generator(out / "generator.pt")
    assert payload["metadata"]["epochs"] == 1 and payload["metadata"]["iterations"] == N // 8
    # the same training from scratch gives byte-identical results (no wall clock inside them)
    again = [a.replace(str(out), str(tmp_path / "again")) for a in args]
    assert main(again) == 0
    for name in ("generator.pt", "losses.csv"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    with torch.no_grad():
        x = G(torch.zeros(2, 16), G.labels(torch.tensor([1.0, 3.0])))
    assert x.shape == (2, 1, L, L)
    with open(out / "losses.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N // 8 and list(rows[0]) == tr.LOSS_COLUMNS
    assert (out / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "checkpoint.pt").exists()
    # ccgan without the pretrained y2h is a one-line user error
    bad = [a if a != "bcgan" else "ccgan" for a in args]
    assert main(bad) == 2
    assert "--y2h" in capsys.readouterr().err


def test_a_rerun_of_a_finished_training_starts_over_and_more_epochs_resume(tmp_path, caplog, capsys):
    """`--forcerun train` resumed the finished checkpoint and wrote the same weights in seconds (issue 37):
    a checkpoint that holds every epoch and whose outputs were written is no resume point; raising
    --epochs still continues it, and the printed seconds add up the training's runs."""
    import logging
    import re

    images, t = data()
    shard = tmp_path / "shard.h5"
    write_shard(shard, images=images, temperature=t, seed=np.arange(N, dtype=np.uint64), energy=np.zeros(N),
                magnetization=np.zeros(N), steps=1, algorithm="test")
    ck = tmp_path / "checkpoint.pt"
    args = ["train", "gan", str(shard), "--variant", "bcgan", "--t-range", "0.05", "4.5", "--g-channels", "8",
            "--d-channels", "8", "--z-dim", "16", "--epochs", "1", "--batch-size", "8", "--seed", "1",
            "--device", "cpu", "--threads", "1", "--no-progress", "--generator", str(tmp_path / "g.pt"),
            "--losses", str(tmp_path / "l.csv"), "--loss-curve", str(tmp_path / "c.png"), "--checkpoint", str(ck)]

    def seconds() -> float:
        return float(re.search(r"seconds=([0-9.]+)", capsys.readouterr().out).group(1))

    caplog.set_level(logging.INFO)
    assert main(args) == 0
    seconds()
    assert torch.load(ck, weights_only=True)["outputs_written"] is True
    weights = (tmp_path / "g.pt").read_bytes()
    caplog.clear()
    assert main(args) == 0  # forced rerun: trains again from scratch, the same bytes (fp32 on CPU)
    assert "resuming" not in caplog.text and "training from scratch" in caplog.text
    assert (tmp_path / "g.pt").read_bytes() == weights
    segment = torch.load(ck, weights_only=True)["seconds"]
    assert 0 < segment <= seconds()
    caplog.clear()
    epochs = args.index("--epochs") + 1
    assert main(args[:epochs] + ["2"] + args[epochs + 1:]) == 0  # continued: resumes after epoch 1
    assert "resuming bcgan" in caplog.text and "1 epochs" in caplog.text
    assert torch.load(ck, weights_only=True)["epoch"] == 2
    assert seconds() >= torch.load(ck, weights_only=True)["seconds"] > segment  # both runs counted


def _pair(variant="cgan64"):
    torch.manual_seed(0)
    return build_generator(variant, L, 8, 16, T_RANGE), build_discriminator(variant, L, 8, T_RANGE)


def test_one_d_pass_gives_the_two_pass_logits_and_one_power_iteration():
    """D(cat[real, fake]) in one pass: the same logits as two passes (D has no batch statistics), and
    spectral norm's power iteration advances once per D step, as one forward in training mode does."""
    G, D = _pair()
    images, t = data()
    x_real = tr.to_float_images(torch.from_numpy(images[:8]))
    labels = G.labels(torch.from_numpy(t[:8]))
    z = torch.randn(8, 16, generator=torch.Generator().manual_seed(1))
    D.eval()
    with torch.no_grad():
        fake = G(z, labels)
        two = torch.cat([D(x_real, labels), D(fake, labels)])
        one = D(torch.cat([x_real, fake]), torch.cat([labels, labels]))
    torch.testing.assert_close(one, two, rtol=1e-5, atol=1e-6)
    D.train()
    u_key = "blocks.0.conv1.parametrizations.weight.0._u"
    reference = {k: v.clone() for k, v in D.state_dict().items()}
    with torch.no_grad():
        D(x_real[:1], labels[:1])  # one forward in training mode = one power iteration
    once = D.state_dict()[u_key].clone()
    D.load_state_dict(reference)
    opt = torch.optim.Adam(D.parameters(), lr=0.0, betas=(0.0, 0.99))  # lr 0: weights stay, u/v move
    tr.d_step(G, D, opt, x_real, z, labels, labels)
    assert torch.equal(D.state_dict()[u_key], once)


@pytest.mark.parametrize("variant", ["bcgan", "ccgan"])
def test_g_step_freezes_d_and_gives_the_same_g_gradients(variant):
    """Freezing D in the G step skips D's weight gradients only: G's gradients are bit-identical to
    those with D trainable, D's trainable flags come back, and CcGAN's frozen y2h stays frozen."""
    torch.manual_seed(0)
    y2h = y2h_for(variant)
    G, D = build_generator(variant, L, 8, 16, T_RANGE, y2h=y2h), build_discriminator(variant, L, 8, T_RANGE, y2h=y2h)
    trainable = {n for n, p in D.named_parameters() if p.requires_grad}
    labels = G.labels(torch.linspace(0.1, 4.4, 8))
    z = torch.randn(8, 16, generator=torch.Generator().manual_seed(2))
    state_g, state_d = [{k: v.clone() for k, v in m.state_dict().items()} for m in (G, D)]
    opt_g = torch.optim.Adam(G.parameters(), lr=0.0, betas=(0.0, 0.99))
    tr.g_step(G, D, opt_g, z, labels)
    frozen_grads = {n: p.grad.clone() for n, p in G.named_parameters() if p.grad is not None}
    assert all(p.grad is None for p in D.parameters())
    assert {n for n, p in D.named_parameters() if p.requires_grad} == trainable
    G.load_state_dict(state_g)
    D.load_state_dict(state_d)
    G.zero_grad(set_to_none=True)
    tr.hinge_g_loss(D(G(z, labels), labels)).backward()  # the plain G step, D trainable
    assert frozen_grads and all(torch.equal(frozen_grads[n], p.grad) for n, p in G.named_parameters()
                                if p.grad is not None)
