"""A training job killed with SIGKILL resumes from its last checkpoint when Snakemake reruns it, and
ends bit-identical (on CPU, fp32) to a run that was never interrupted, progress.csv and progress_ema.csv included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import copy_workflow, snakemake

# Small enough for seconds per epoch; the job is killed as its first checkpoint appears, with three
# of its four epochs still to go.
OVERRIDE = """
models: {variants: [bcgan]}
train: {epochs: 4}
"""
TARGET = "results/smoke/models/bcgan/generator.pt"


def _workdir(tmp_path, name):
    workdir = copy_workflow(tmp_path / name)
    (workdir / "override.yaml").write_text(OVERRIDE)
    return workdir


def _args(target=TARGET):
    return [target, "--cores", "2", "--configfile", "config.yaml", "override.yaml", "--config", "preset=smoke"]


def test_killed_training_resumes_and_matches_an_uninterrupted_run(tmp_path):
    reference = _workdir(tmp_path, "reference")
    snakemake(reference, *_args())

    killed = _workdir(tmp_path, "killed")
    snakemake(killed, *_args("results/smoke/data/manifest.json"))  # data first, so only training is timed
    checkpoint = killed / "results/smoke/models/bcgan/checkpoint.pt"
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", *_args()], cwd=killed, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its job, no chance to clean up
    proc.wait()
    assert checkpoint.exists() and not (killed / TARGET).exists()

    snakemake(killed, *_args(), "--unlock")
    snakemake(killed, *_args())
    log = (killed / "results/smoke/logs/train_bcgan.log").read_text()
    assert "resuming bcgan" in log
    for name in ("generator.pt", "losses.csv", "progress.csv", "progress_ema.csv"):
        a = (reference / "results/smoke/models/bcgan" / name).read_bytes()
        b = (killed / "results/smoke/models/bcgan" / name).read_bytes()
        assert a == b, f"{name} differs after resume"
