"""Shared fixtures: the whole smoke workflow, run once per test session from a clean directory."""

from __future__ import annotations

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
WORKFLOW_FILES = ["Snakefile", "config.yaml", "workflow/rules", "workflow/schemas", "workflow/report",
                  "workflow/profiles", "workflow/resources", "envs"]


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


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the snakemake CLI in ``workdir`` the way a user would; output captured for assertions."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """The complete smoke preset, built once from a clean directory; returns that directory."""
    workdir = copy_workflow(tmp_path_factory.mktemp("smoke"))
    snakemake(workdir, "--cores", "2", "--config", "preset=smoke")
    return workdir


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
