"""Checks the Snakefile runs before any job starts, so that a bad config or a damaged input stops the
workflow with one line instead of failing a job (and Snakemake deleting that job's good outputs first).

* ``damaged_hdf5``: data files that exist but cannot be read back. HDF5 stores a file's length in its
  superblock and refuses to open a shorter file, so opening one is a complete and cheap (superblock
  only) test for truncation; run when the workflow is planned, dry runs included.
* ``device_problem``: ``train.device: cuda`` where the jobs will see no GPU: a local run on a machine
  without one, or a cluster run whose jobs ask for none (``train.gpus: 0``).
* ``slurm_cores_problem``: the SLURM profile's ``--cores`` (the widest job it submits) above the CPUs
  of the largest node, where such a job would pend forever.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def damaged_hdf5(paths) -> list[str]:
    """'<path>: <reason>' for each existing file of ``paths`` that HDF5 cannot open (missing ones are fine),
    each file once however often ``paths`` lists it (the study's uniform label set reuses the shards)."""
    existing = [Path(p) for p in dict.fromkeys(map(str, paths)) if Path(p).exists()]
    if not existing:
        return []
    import h5py

    damaged = []
    for path in existing:
        try:
            h5py.File(path, "r").close()
        except OSError as error:
            reason = str(error).split("(", 1)[-1].rstrip(")") if "(" in str(error) else str(error)
            damaged.append(f"{path}: {reason}")
    return damaged


def gpu_visible() -> bool:
    """Whether a job started from here would find a CUDA device (as torch, which the jobs use, sees it)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False  # hidden on purpose: no need to load torch to know
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def device_problem(device: str, gpus: int, *, local: bool, gpu_seen=gpu_visible) -> str | None:
    """One line naming the key when ``train.device`` cannot work where the jobs will run, else None."""
    if device != "cuda":
        return None  # cpu always works; auto picks cuda only where there is one
    if local and not gpu_seen():
        return ("config train.device: cuda, but this machine shows no CUDA GPU to a local run "
                "(set train.device: auto or cpu, or run where a GPU is visible)")
    if not local and gpus < 1:
        return ("config train.device: cuda with train.gpus: 0: the cluster would place the GPU jobs on "
                "nodes without a GPU (set train.gpus: 1, or train.device: auto or cpu)")
    return None


def slurm_node_cpus(partition: str = "", run=subprocess.run) -> int | None:
    """The most CPUs any node of ``partition`` (all partitions if empty) has, by ``sinfo``; None if unknown."""
    cmd = ["sinfo", "--noheader", "--Node", "--format=%c"] + (["--partition", partition] if partition else [])
    try:
        out = run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    cpus = [int(word) for word in out.split() if word.isdigit()]
    return max(cpus) if cpus else None


def slurm_cores_problem(cores: int | None, node_cpus: int | None, partition: str = "") -> str | None:
    """One line when the widest job (``--cores``) asks for more CPUs than any node has, else None."""
    if cores is None or node_cpus is None or cores <= node_cpus:
        return None
    where = f"partition {partition}" if partition else "this cluster"
    return (f"--cores {cores} (the widest SLURM job the profile submits) exceeds the {node_cpus} CPUs of the "
            f"largest node of {where}: such a job would pend forever; run with --cores {node_cpus}")
