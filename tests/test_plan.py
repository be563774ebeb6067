"""The checks the Snakefile runs before any job (bcgan.plan): damaged data files, a device the jobs
cannot have, a SLURM job wider than any node."""

from __future__ import annotations

import os
import subprocess

import h5py
import numpy as np

from bcgan.plan import damaged_hdf5, device_problem, slurm_cores_problem, slurm_node_cpus


def test_a_truncated_hdf5_file_is_damaged_and_a_whole_or_missing_one_is_not(tmp_path):
    whole, cut = tmp_path / "whole.h5", tmp_path / "cut.h5"
    for path in (whole, cut):
        with h5py.File(path, "w") as f:
            f["images"] = np.zeros((50, 16, 16), np.uint8)
    os.truncate(cut, cut.stat().st_size - 1)  # one byte short is enough: HDF5 stores the file's length
    (damaged,) = damaged_hdf5([whole, cut, tmp_path / "missing.h5"])
    assert damaged.startswith(f"{cut}: truncated file: eof = ")
    assert damaged_hdf5([whole, tmp_path / "missing.h5"]) == []
    # listed twice (the study's uniform label set lists the shards again): one damaged file, not "1 more"
    assert damaged_hdf5([whole, cut, str(cut), whole]) == [damaged]


def test_cuda_needs_a_visible_gpu_locally_and_a_gpu_request_on_a_cluster():
    def seen():
        return True

    def unseen():
        return False

    assert "train.device: cuda" in device_problem("cuda", 1, local=True, gpu_seen=unseen)
    assert device_problem("cuda", 0, local=True, gpu_seen=seen) is None
    assert "train.gpus: 0" in device_problem("cuda", 0, local=False, gpu_seen=unseen)
    assert device_problem("cuda", 1, local=False, gpu_seen=unseen) is None  # the login node needs none
    for device in ("auto", "cpu"):
        assert device_problem(device, 0, local=True, gpu_seen=unseen) is None
        assert device_problem(device, 0, local=False, gpu_seen=unseen) is None


def test_a_slurm_job_wider_than_every_node_is_refused():
    def sinfo(cmd, **kwargs):
        assert cmd[:2] == ["sinfo", "--noheader"] and cmd[-2:] == ["--partition", "short"]
        return subprocess.CompletedProcess(cmd, 0, stdout="2\n2\n1\n")

    assert slurm_node_cpus("short", run=sinfo) == 2
    message = slurm_cores_problem(4, 2, "short")
    assert message.startswith("--cores 4 ") and "largest node of partition short" in message
    assert message.endswith("run with --cores 2")
    assert slurm_cores_problem(2, 2) is None and slurm_cores_problem(4, None) is None

    def no_sinfo(cmd, **kwargs):
        raise FileNotFoundError("sinfo")

    assert slurm_node_cpus(run=no_sinfo) is None
