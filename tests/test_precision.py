"""``auto`` precision decides by hardware (with made-up capabilities, whatever the test machine is),
and the CLI records what it chose, keeping a resumed run's precision."""

from __future__ import annotations

import pytest
import torch

from bcgan.errors import UserError
from bcgan.precision import memory_format, resolve_precision

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
    from bcgan.precision import cpu_bf16_flags

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


def test_cli_logs_the_choice_and_a_resumed_auto_run_keeps_its_precision(tmp_path, monkeypatch):
    import bcgan.cli.train as cli
    import bcgan.precision as prec

    ck = tmp_path / "checkpoint.pt"
    monkeypatch.setattr(prec, "cpu_bf16_flags", lambda capabilities=None: ["avx512_bf16"])
    assert cli._precision("auto", CPU, ck) == ("bf16", "auto: bf16, the CPU has native bf16 (avx512_bf16)")
    from bcgan.train import CHECKPOINT_FORMAT

    torch.save({"format": CHECKPOINT_FORMAT, "config": {"precision": "fp32"}}, ck)
    assert cli._precision("auto", CPU, ck) == ("fp32", "auto: fp32, the precision of the checkpoint being resumed")
    assert cli._precision("bf16", CPU, ck)[0] == "bf16"  # an explicit choice is not overridden
