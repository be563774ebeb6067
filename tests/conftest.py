"""Shared fixtures: the whole smoke workflow, run once per test session from a clean directory."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bcgan  # noqa: F401  (first: sets OPENBLAS_NUM_THREADS before numpy loads OpenBLAS, see bcgan/__init__)
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# What a user's checkout holds for running the workflow (the package itself is pip-installed).
WORKFLOW_FILES = ["Snakefile", "config.yaml", "workflow/rules", "workflow/report",
                  "profiles", "workflow/resources", "envs"]


def copy_workflow(dest: Path) -> Path:
    """A fresh working directory with the workflow files and no results."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the snakemake CLI in ``workdir`` the way a user would; output captured for assertions.
    ``env``: variables set on top of this process's environment."""
    env = dict(os.environ, PYTHONHASHSEED="0", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """The complete smoke preset, built once per test run from a clean directory; returns this worker's
    own copy of it (results, mtimes and Snakemake's metadata), which its tests may change.

    Why a copy: under pytest-xdist every worker is its own process with its own session fixtures; the
    first worker to ask builds the run under a file lock in the directory the workers share, the others
    wait for it and copy it, so the smoke DAG runs once however many workers use it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own (xdist's documented pattern)
    built = shared / "smoke-built"
    with open(shared / "smoke.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / ".complete").exists():
            shutil.rmtree(built, ignore_errors=True)
            snakemake(copy_workflow(built), "--cores", "2", "--config", "preset=smoke")
            (built / ".complete").touch()
    workdir = tmp_path_factory.mktemp("smoke")
    shutil.copytree(built, workdir, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete"))
    return workdir


@pytest.fixture(scope="module")
def tiny_generator(tmp_path_factory):
    """An untrained (random-weight) BcGAN generator file of 16 x 16 images, and the module."""
    import torch

    from bcgan.nets.models import build_generator
    from bcgan.training.checkpoints import save_generator

    torch.manual_seed(0)
    G = build_generator("bcgan", image_size=16, channels=8, z_dim=8, t_range=(0.05, 4.54))
    path = tmp_path_factory.mktemp("g") / "generator.pt"
    save_generator(path, G)
    return path, G


@pytest.fixture
def torch_one_thread():
    """Training tests on one thread: faster on a shared 2-core machine, and reproducible."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def labelled_images(n: int, size: int, t_range, seed: int = 0):
    """Random 0/255 images whose white fraction is T / t_max: a label a network can learn from the image."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(*t_range, n).astype(np.float32)
    images = np.where(rng.random((n, size, size)) < (t / t_range[1])[:, None, None], 255, 0).astype(np.uint8)
    return images, t
