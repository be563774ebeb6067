"""`bcgan bench models`' FLOP columns on exact values: the count of nets whose FLOPs are known by hand,
the training step's multiple of the forward pass, and the share arithmetic. No timing is asserted."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from bcgan.bench import models as bench
from bcgan.cli import main

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # and the CLI runs leave torch's threads as they are


def test_one_linear_forward_counts_two_flops_per_multiply_add():
    batch, n_in, n_out = 5, 7, 3
    layer = nn.Linear(n_in, n_out)
    x = torch.randn(batch, n_in)
    assert bench.count_flops(lambda: layer(x)) == 2 * n_in * n_out * batch  # the bias add is not counted


def test_forward_and_backward_of_a_linear_is_three_forwards_with_input_gradient_two_without():
    batch, n_in, n_out = 5, 7, 3
    layer = nn.Linear(n_in, n_out)
    forward = 2 * n_in * n_out * batch
    x = torch.randn(batch, n_in, requires_grad=True)
    assert bench.count_flops(lambda: layer(x).sum().backward()) == 3 * forward  # + grad input + grad weight
    x = torch.randn(batch, n_in)
    assert bench.count_flops(lambda: layer(x).sum().backward()) == 2 * forward  # + grad weight only


class _LinearG(nn.Module):
    """G(z, labels) = one Linear from z to an s x s image; ``labels`` as the bench asks for them."""

    def __init__(self, z_dim: int, size: int):
        super().__init__()
        self.size, self.fc = size, nn.Linear(z_dim, size * size)

    def labels(self, temperatures):
        return temperatures.float()

    def forward(self, z, labels):
        return self.fc(z).reshape(-1, 1, self.size, self.size)


class _LinearD(nn.Module):
    """D(x, labels) = one Linear from the flattened image to one logit."""

    def __init__(self, size: int):
        super().__init__()
        self.fc = nn.Linear(size * size, 1)

    def forward(self, x, labels):
        return self.fc(x.reshape(x.shape[0], -1))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_step_of_linear_nets_counts_its_known_multiple(precision):
    """The bench's step (the loop's d_step then g_step) on G = Linear(z, n), D = Linear(n, 1), batch B.
    With F_G = 2 B z n and F_D = 2 B n: the D step is G forward (no grad) + D forward and weight
    gradient on 2B images (real and fake in one pass) = F_G + 4 F_D; the G step is G forward, D forward,
    D's input gradient (D frozen: no weight gradient) and G's weight gradient (z needs none)
    = 2 F_G + 2 F_D. Together 3 F_G + 6 F_D = 6 B z n + 12 B n, in fp32 and under bf16 autocast alike."""
    batch, z_dim, size = 4, 6, 3
    n = size * size
    torch.manual_seed(0)
    step = bench.make_step(_LinearG(z_dim, size), _LinearD(size), size, z_dim, batch, torch.device("cpu"),
                           precision)
    assert bench.count_flops(step) == 6 * batch * z_dim * n + 12 * batch * n
    assert bench.count_flops(step) == 6 * batch * z_dim * n + 12 * batch * n  # every step the same


def test_a_variants_step_flops_per_image_do_not_depend_on_batch_or_precision():
    """Only matmuls and convolutions are counted, all linear in the batch (spectral norm's power
    iteration is matrix-vector and uncounted), so FLOPs per image are one number per variant and size."""
    cpu = torch.device("cpu")
    counts = {(b, p): bench.count_flops(bench.build_step("bcgan", 16, 16, 16, 64, b, cpu, p)) / b
              for b in (1, 3) for p in ("fp32", "bf16")}
    assert len(set(counts.values())) == 1, counts
    assert counts[(1, "fp32")] > 0


def test_achieved_rate_and_share_arithmetic():
    assert bench.achieved_share(4e8, 250.0, 2e11) == (1e11, 0.5)
    assert bench.achieved_share(375e6, 256.0, 201e9) == (375e6 * 256.0, 375e6 * 256.0 / 201e9)
    achieved, share = bench.achieved_share(1e6, 10.0, 0.0)  # no ceiling measured
    assert achieved == 1e7 and math.isnan(share)


def test_matmul_rate_counts_two_n_cubed_per_product(monkeypatch):
    """A clock that advances 0.5 s per reading: each block lasts 0.5 s, one product is enough, the rate
    is 2 n^3 / 0.5 exactly."""
    clock = itertools.count(0.0, 0.5)
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    for precision in ("fp32", "bf16"):
        assert bench.matmul_rate(16, precision, torch.device("cpu"), min_time=0.1) == 2 * 16**3 / 0.5


def test_bench_line_has_flops_gflops_and_shares_that_agree(capsys):
    argv = ["bench", "models", "--presets", "smoke", "--variants", "bcgan", "--batch", "4", "--steps", "1",
            "--warmup", "1", "--repeats", "1", "--matmul-size", "32"]
    assert main(argv) == 0
    kv = dict(part.split("=", 1) for part in capsys.readouterr().out.split() if "=" in part)
    assert kv["matmul_n"] == "32"
    key = "smoke_bcgan_L16"
    assert kv[f"{key}_mflop_fp32"] == kv[f"{key}_mflop_bf16"]
    for prec in ("fp32", "bf16"):
        for old in (f"{key}_{prec}", f"{key}_h_{prec}"):  # the existing columns stay
            assert float(kv[old]) > 0
        gflops = float(kv[f"{key}_mflop_{prec}"]) * 1e6 * float(kv[f"{key}_{prec}"]) / 1e9
        rounding = 0.05 / float(kv[f"{key}_{prec}"]) + 1e-3  # images/s are printed to 0.1, the rest to 4 digits
        assert float(kv[f"{key}_gflops_{prec}"]) == pytest.approx(gflops, rel=rounding)
        share = float(kv[f"{key}_gflops_{prec}"]) / float(kv[f"matmul_{prec}_gflops"])
        assert float(kv[f"{key}_share_{prec}"]) == pytest.approx(share, rel=2e-2)
    assert float(kv[f"{key}_ratio"]) > 0 and "smoke_path" in kv


def test_matmul_size_zero_skips_the_ceiling(capsys):
    argv = ["bench", "models", "--presets", "smoke", "--variants", "cgan64", "--batch", "2", "--steps", "1",
            "--repeats", "1", "--precisions", "fp32", "--matmul-size", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "smoke_cgan64_L16_mflop_fp32=" in out and "smoke_cgan64_L16_gflops_fp32=" in out
    assert "share" not in out and "matmul_" not in out


def test_profile_step_script_puts_every_operator_in_a_family(tmp_path):
    """scripts/profile-step at smoke size: it runs, and its families' shares add up to the whole step."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "profile-step"
    proc = subprocess.run([sys.executable, str(script), "--preset", "smoke", "--variant", "bcgan-proj", "--batch", "4",
                           "--steps", "1", "--warmup", "1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shares = dict(re.findall(r"^(\S.*?)\s+[\d.]+ ms/step\s+([\d.]+) %", proc.stdout, re.M))
    assert {"matmul/conv", "spectral norm", "batch norm", "softmax", "optimizer", "casts"} <= set(shares), proc.stdout
    assert sum(map(float, shares.values())) == pytest.approx(100, abs=0.5)
    assert re.search(r"mflop_per_image=[\d.]+", proc.stdout) and re.search(r"kernels_share=[\d.]+", proc.stdout)
