"""scripts/gpu-check, the one prepared GPU check, run here on CPU at smoke size so that it cannot rot.

Why: the script is run rarely, on a bare offline GPU machine, in a short lent slot; a broken flag or
a renamed output found there wastes the slot. ``--device cpu --quick`` runs every step through the
real ``bcgan`` commands (bench, profile, kill-and-resume training, sampling, PSD evaluation).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "gpu-check"


def _run(out: Path, *args: str, timeout: float = 600) -> tuple[subprocess.CompletedProcess, list[str]]:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    summary = (out / "summary.txt").read_text().splitlines() if (out / "summary.txt").exists() else []
    return proc, summary


def _one(lines: list[str], pattern: str) -> re.Match:
    found = [m for m in (re.search(pattern, ln) for ln in lines) if m]
    assert len(found) == 1, f"{len(found)} summary lines match {pattern!r}:\n" + "\n".join(lines)
    return found[0]


def test_quick_cpu_check_runs_every_step(tmp_path):
    proc, lines = _run(tmp_path / "out", "--device", "cpu", "--quick")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert lines[-1].startswith("gpu-check PASS"), lines[-1]
    assert not [ln for ln in lines if ln.startswith("FAIL")]
    for variant in ("bcgan", "cgan64"):
        for prec in ("fp32", r"bf16\+channels_last"):
            m = _one(lines, rf"^bench smoke_{variant}_L16 {prec} batch=32 images_per_s=([\d.]+) "
                            r"peak_mb=nan projected_h=\S+ paper_h=22\.5-28\.4$")
            assert float(m.group(1)) > 0
        assert float(_one(lines, rf"^bench smoke_{variant}_L16 bf16_over_fp32=([\d.]+)$").group(1)) > 0
        mflop = set()
        for prec in ("fp32", "bf16"):  # FLOPs per image are the same in both precisions; the share is > 0
            m = _one(lines, rf"^bench smoke_{variant}_L16 {prec} mflop_per_image=(\S+) gflop_per_s=(\S+) "
                            r"matmul_share=(\S+)$")
            mflop.add(m.group(1))
            assert float(m.group(2)) > 0 and float(m.group(3)) > 0
        assert len(mflop) == 1
    m = _one(lines, r"^bench matmul device=cpu n=1024 fp32_gflop_per_s=(\S+) bf16_gflop_per_s=(\S+)$")
    assert float(m.group(1)) > 0 and float(m.group(2)) > 0
    assert _one(lines, r"^bench smoke auto_path=(\w+) projected_wall_h=\S+$").group(1) == "fp32"  # smoke: fp32
    _one(lines, r"^profile bcgan bf16 aten::")
    assert float(_one(lines, r"^vicinal_batch host_ms_per_iteration=([\d.]+)").group(1)) > 0
    # BcGAN: bf16, killed after its first checkpoint and resumed; 3 epochs of 128 // 32 = 4 iterations
    m = _one(lines, r"^train bcgan bf16 L=16 batch=32 iterations=(\d+) .* progress_rows=(\d+) resumed_after_epoch=(\d+)$")
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (12, 1, 1)
    _one(lines, r"^train cgan64 fp32 L=16 batch=32 iterations=12 ")
    for variant in ("bcgan", "cgan64"):
        _one(lines, rf"^loop_overhead {variant} ")
        assert float(_one(lines, rf"^evaluate {variant} images=32 mae_T=([\d.]+)").group(1)) >= 0
    profile = (tmp_path / "out" / "profile.txt").read_text()
    assert "convolution" in profile
    log = (tmp_path / "out" / "log.txt").read_text()
    assert "# killed after its first checkpoint" in log and "[killed, exit -9]" in log


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_check_fails_loudly_without_cuda(tmp_path):
    proc, lines = _run(tmp_path / "out", timeout=120)  # default --device cuda
    assert proc.returncode == 1
    assert lines == ["FAIL env: --device cuda but torch.cuda.is_available() is False"]


def test_workflow_check_stops_at_its_limit_and_still_summarises(tmp_path):
    """scripts/gpu-workflow-check on the smoke preset, cut after 25 s: it returns soon after, with a summary."""
    work = tmp_path / "repo"
    shutil.copytree(REPO, work, ignore=shutil.ignore_patterns("results", ".snakemake", ".git", ".whl", "*.egg-info"))
    env = {**os.environ, "PYTHONPATH": str(work / "workflow")}
    start = time.monotonic()
    proc = subprocess.run([str(work / "scripts" / "gpu-workflow-check"), str(tmp_path / "out"), "--preset", "smoke",
                           "--cores", "2", "--limit", "25"], cwd=work, env=env, capture_output=True, text=True)
    assert time.monotonic() - start < 25 + 20 + 30
    assert proc.returncode == 124, proc.stdout + proc.stderr
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "preset=smoke" in summary and "snakemake_exit=124" in summary
    assert (tmp_path / "out" / "results.tgz").stat().st_size > 0
