"""Numeric precision of training and sampling: ``fp32`` (bit-reproducible on CPU), ``bf16``, or ``auto``.

Why a setting and not the device: bf16 autocast with channels-last memory is about twice as fast on
GPUs and on CPUs with native bf16 instructions, but its results depend on kernels and thread count,
so resuming an interrupted run is bit-identical only in fp32. Label embeddings stay in float32
either way (``bcgan.nets.models``). A generator is sampled in the precision it was trained in.

``auto`` (``resolve_precision``) picks bf16 on CUDA and on CPUs that report AVX-512 BF16 or AMX-BF16,
fp32 elsewhere. Why the instruction flags and not a timing probe: the choice changes the numbers a
training produces, so it must not depend on how loaded a shared machine happens to be; and the
flags separate the measured cases cleanly (one thread, mini's G+D step, bf16 / fp32): 2.2x on an
AMD EPYC with AVX-512 BF16 (Zen 4), about 2x on an Intel CPU with AMX, 0.12x on an AVX2-only AMD
EPYC, where oneDNN emulates bf16.
"""

from __future__ import annotations

import contextlib
import os

import torch

from bcgan.errors import UserError

PRECISIONS = ("fp32", "bf16")  # what a training runs in
CHOICES = ("auto", *PRECISIONS)  # what a user may ask for
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) below AVX512_CORE_BF16: bf16 is emulated even where the CPU has it
ISA_CAPS_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


def check_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise UserError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    return name


def cpu_capabilities() -> dict:
    """torch's table of this CPU's features (torch >= 2.11); empty where an older torch lacks it."""
    get = getattr(torch.cpu, "get_capabilities", None)
    return get() if get is not None else {}


def cpu_bf16_flags(capabilities: dict | None = None, environ=os.environ) -> list[str]:
    """The native-bf16 instruction sets this CPU reports (torch.cpu.get_capabilities) that oneDNN may
    use: none where ONEDNN_MAX_CPU_ISA caps it below AVX512_CORE_BF16."""
    if capabilities is None:
        capabilities = cpu_capabilities()
    cap = (environ.get("ONEDNN_MAX_CPU_ISA") or environ.get("DNNL_MAX_CPU_ISA") or "").upper()
    if cap in ISA_CAPS_WITHOUT_BF16:
        return []
    return [flag for flag in NATIVE_BF16_FLAGS if capabilities.get(flag)]


def resolve_precision(requested: str, device: torch.device, capabilities: dict | None = None) -> tuple[str, str]:
    """(precision, why) for ``requested`` in CHOICES on ``device``; ``auto`` decides by hardware (module doc)."""
    if requested not in CHOICES:
        raise UserError(f"precision must be one of {', '.join(CHOICES)}, got {requested!r}")
    if requested != "auto":
        return requested, f"{requested} as configured"
    if device.type == "cuda":
        return "bf16", "auto: bf16 on CUDA"
    if device.type != "cpu":
        return "fp32", f"auto: fp32 on {device.type}"
    flags = cpu_bf16_flags(capabilities)
    if flags:
        return "bf16", f"auto: bf16, the CPU has native bf16 ({', '.join(flags)})"
    return "fp32", "auto: fp32, the CPU has no native bf16 (no avx512_bf16 or amx_bf16; bf16 would be emulated, ~8x slower)"


def autocast(device: torch.device, precision: str):
    """bf16 autocast for ``bf16``, nothing for ``fp32``."""
    if check_precision(precision) == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(precision: str, device: torch.device | str = "cpu") -> torch.memory_format:
    """The layout of G's and D's weights and activations: channels-last on CPU (oneDNN's native
    layout: without it nearest up-sampling and layout reorders took a fifth of mini's step, and fp32
    ran 1.4x slower) and with bf16 on CUDA (cuDNN's tensor cores); the default layout for CUDA fp32."""
    check_precision(precision)
    if torch.device(device).type == "cpu" or precision == "bf16":
        return torch.channels_last
    return torch.contiguous_format


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
