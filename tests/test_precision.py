"""``auto`` precision decides by hardware (with made-up capabilities, whatever the test machine is),
and the CLI records what it chose, keeping a resumed run's precision."""

from __future__ import annotations

import pytest
import torch

from bcgan.errors import UserError
from bcgan.nets.precision import memory_format, resolve_precision

AVX2_ONLY = {"avx2": True, "avx512_f": False, "avx512_bf16": False, "amx_bf16": False}
ZEN4 = {"avx2": True, "avx512_f": True, "avx512_bf16": True, "amx_bf16": False}
SAPPHIRE_RAPIDS = {"avx2": True, "avx512_f": True, "avx512_bf16": True, "amx_bf16": True, "amx_tile": True}
SKYLAKE_AVX512 = {"avx2": True, "avx512_f": True, "avx512_bf16": False, "amx_bf16": False}
CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize("caps, expected", [(AVX2_ONLY, "fp32"), (SKYLAKE_AVX512, "fp32"), (ZEN4, "bf16"),
                                            (SAPPHIRE_RAPIDS, "bf16"), ({}, "fp32")])
def test_auto_on_cpu_follows_native_bf16(caps, expected):
    precision, why = resolve_precision("auto", CPU, caps)
    assert precision == expected
    assert why.startswith("auto: " + expected)
    if expected == "bf16":
        assert "avx512_bf16" in why


def test_a_onednn_isa_cap_below_bf16_means_fp32():
    from bcgan.nets.precision import cpu_bf16_flags

    assert cpu_bf16_flags(ZEN4, {"ONEDNN_MAX_CPU_ISA": "AVX2"}) == []
    assert cpu_bf16_flags(ZEN4, {"ONEDNN_MAX_CPU_ISA": "avx512_core_bf16"}) == ["avx512_bf16"]
    assert cpu_bf16_flags(SAPPHIRE_RAPIDS, {}) == ["avx512_bf16", "amx_bf16"]


def test_auto_on_cuda_is_bf16_and_explicit_choices_stand():
    assert resolve_precision("auto", CUDA, AVX2_ONLY)[0] == "bf16"
    for name in ("fp32", "bf16"):
        assert resolve_precision(name, CPU, AVX2_ONLY) == (name, f"{name} as configured")
    with pytest.raises(UserError, match="'fp16'"):
        resolve_precision("fp16", CPU)


def test_layout_is_channels_last_on_cpu_and_default_for_cuda_fp32():
    assert memory_format("fp32", "cpu") == memory_format("bf16", "cpu") == torch.channels_last
    assert memory_format("bf16", "cuda") == torch.channels_last
    assert memory_format("fp32", "cuda") == torch.contiguous_format


def test_auto_keeps_the_precision_of_a_checkpoint_it_resumes_and_only_then(tmp_path, monkeypatch):
    """A checkpoint that will be resumed fixes ``auto``'s choice; a stale one (other lr) does not."""
    from dataclasses import replace

    from conftest import labelled_images

    import bcgan.cli.train as cli
    import bcgan.nets.precision as prec
    from bcgan.training.loop import TrainConfig, train_gan
    from bcgan.training.resume import data_fingerprint

    images, t = labelled_images(16, 16, (0.05, 4.5), 0)
    cfg = TrainConfig(variant="bcgan", g_channels=8, d_channels=8, z_dim=8, t_range=(0.05, 4.5), epochs=1,
                      batch_size=8, seed=1, precision="fp32")
    ck = tmp_path / "checkpoint.pt"
    torch.set_num_threads(1)
    train_gan(images, t, cfg, checkpoint=ck, progress=False)
    fingerprint = data_fingerprint(images, t)
    monkeypatch.setattr(prec, "cpu_bf16_flags", lambda capabilities=None: ["avx512_bf16"])
    more = replace(cfg, epochs=2, precision="bf16")
    assert cli._precision("auto", CPU, ck, more, fingerprint) == (
        "fp32", "auto: fp32, the precision of the checkpoint being resumed")
    assert cli._precision("auto", CPU, ck, replace(more, lr=1e-3), fingerprint) == (
        "bf16", "auto: bf16, the CPU has native bf16 (avx512_bf16)")
    assert cli._precision("auto", CPU, ck, more, "other data")[0] == "bf16"
    assert cli._precision("bf16", CPU, ck, more, fingerprint)[0] == "bf16"  # an explicit choice stands
    assert cli._precision("auto", CPU, tmp_path / "none.pt", more, fingerprint)[0] == "bf16"


def test_a_checkpoint_of_the_two_pass_d_step_is_not_resumed(tmp_path):
    """Checkpoints carry the training step's version; one from before the one-pass D step (no
    version recorded) is stale, so old and new training are never mixed."""
    from conftest import labelled_images

    from bcgan.training.loop import TrainConfig, train_gan
    from bcgan.training.resume import data_fingerprint, load_checkpoint

    images, t = labelled_images(16, 16, (0.05, 4.5), 0)
    cfg = TrainConfig(variant="bcgan", g_channels=8, d_channels=8, z_dim=8, t_range=(0.05, 4.5), epochs=1,
                      batch_size=8, seed=1)
    ck = tmp_path / "checkpoint.pt"
    train_gan(images, t, cfg, checkpoint=ck, progress=False)
    fingerprint = data_fingerprint(images, t)
    assert load_checkpoint(ck, cfg, fingerprint) is not None
    payload = torch.load(ck, weights_only=True)
    del payload["config"]["step_version"]
    torch.save(payload, ck)
    assert load_checkpoint(ck, cfg, fingerprint) is None
