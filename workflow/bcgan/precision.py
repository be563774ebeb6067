"""Numeric precision of training and sampling: ``fp32`` (bit-reproducible on CPU) or ``bf16``.

Why a setting and not the device: bf16 autocast with channels-last memory is about twice as fast on
GPUs and on CPUs with AVX-512 BF16 / AMX, but its results depend on kernels and thread count, so
resuming an interrupted run is bit-identical only in fp32. Label embeddings stay in float32 either
way (``bcgan.models``). A generator is sampled in the precision it was trained in.
"""

from __future__ import annotations

import contextlib

import torch

from bcgan.errors import UserError

PRECISIONS = ("fp32", "bf16")


def check_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise UserError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    return name


def autocast(device: torch.device, precision: str):
    """bf16 autocast for ``bf16``, nothing for ``fp32``."""
    if check_precision(precision) == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(precision: str) -> torch.memory_format:
    """channels-last pays with bf16 kernels (oneDNN / cuDNN); fp32 keeps the default layout."""
    return torch.channels_last if check_precision(precision) == "bf16" else torch.contiguous_format


def set_cpu_threads(threads: int | None) -> None:
    """torch's CPU threads (None: torch's choice), after one single-threaded call of MKL's vector math.

    Why the call: on CPU, torch.tanh (MKL's vector math, run on the two halves of a large tensor by two
    threads) gave other last bits for identical input in a few fresh processes on a heavily loaded
    machine, always in a process's first calls and never in 20,000 later ones. In G's output that made
    an fp32 training differ between two runs. The likely cause is the library's lazy initialisation
    racing between the two threads; a first call on 16 values runs on one thread and settles it.
    """
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(int(threads))
    warm = torch.linspace(-1.0, 1.0, 16)
    for fn in (torch.tanh, torch.exp, torch.log1p, torch.sigmoid):
        fn(warm)
