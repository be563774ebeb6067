"""Ising Metropolis kernel vs the C reference (../shared/bench/metropolis_ref.c), same L, T, images, seeds.

Prints one line: C flips/s, ours on 1 thread, ours on all threads (flips/s and images/s), the ratios,
and whether both produced identical lattices (equal mean |m| for the C reference's stream seeds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "bench"


def add_arguments(parser) -> None:
    parser.add_argument("--size", type=int, default=128, help="lattice edge L (default 128, the paper's)")
    parser.add_argument("--temperature", type=float, default=2.269)
    parser.add_argument("--images", type=int, default=16, help="images per timed run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best is kept")
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help=f"folder holding metropolis_ref.c (default {DEFAULT_REFERENCE_DIR})")


def _run_c(binary: Path, L: int, T: float, images: int, seed: int) -> tuple[float, float]:
    out = subprocess.run([str(binary), str(L), repr(T), str(images), str(seed)], capture_output=True,
                         text=True, check=True).stdout
    kv = dict(tok.split("=", 1) for tok in out.split())
    return float(kv["attempts_per_s"]), float(kv["mean_abs_m"])


def _time_ours(seeds, temps, L: int, threads: int) -> tuple[float, np.ndarray]:
    from bcgan.data.ising import simulate_streams

    t0 = time.perf_counter()
    res = simulate_streams(seeds, temps, L, threads=threads)
    return time.perf_counter() - t0, res["magnetization"]


def run(args) -> int:
    import numba

    from bcgan.data.ising import simulate_streams

    L, T, n, seed = args.size, float(args.temperature), args.images, args.seed
    steps = L**3
    all_threads = numba.config.NUMBA_NUM_THREADS
    # the C reference's stream seeds: seed * 1000003 + image (mod 2^64)
    seeds = np.array([(seed * 1000003 + i) % 2**64 for i in range(n)], dtype=np.uint64)
    temps = np.full(n, T)
    simulate_streams(seeds[:1], temps[:1], L, steps=10, threads=1)  # JIT / cache load outside the timing

    c_rate = c_m = None
    reason = ""
    src = Path(args.reference_dir) / "metropolis_ref.c"
    gcc = shutil.which("gcc")
    if not src.is_file():
        reason = f"no_reference={src}"
    elif gcc is None:
        reason = "no_reference=gcc_missing"
    else:
        with tempfile.TemporaryDirectory(prefix="bcgan-bench-") as tmp:
            binary = Path(tmp) / "metropolis_ref"
            build = subprocess.run([gcc, "-O3", "-march=native", "-o", str(binary), str(src), "-lm"],
                                   capture_output=True, text=True)
            if build.returncode != 0:
                reason = "no_reference=gcc_failed:" + (build.stderr.strip().splitlines() or ["?"])[-1].replace(" ", "_")
            else:
                runs = [_run_c(binary, L, T, n, seed) for _ in range(args.repeat)]
                c_rate, c_m = max(r[0] for r in runs), runs[0][1]

    one = min(_time_ours(seeds, temps, L, 1)[0] for _ in range(args.repeat))
    dt_all, mags = min((_time_ours(seeds, temps, L, all_threads) for _ in range(args.repeat)), key=lambda r: r[0])
    ours_m = float(np.abs(mags).mean())
    rate1 = n * steps / one
    rate_all = n * steps / dt_all
    fields = [
        f"bench=ising L={L} T={T:g} images={n} steps={steps}",
        f"c_flips_per_s={c_rate:.4g}" if c_rate else "c_flips_per_s=nan",
        f"ours_1thread_flips_per_s={rate1:.4g}",
        f"ratio_vs_c={rate1 / c_rate:.3f}" if c_rate else "ratio_vs_c=nan",
        f"threads={all_threads} ours_all_flips_per_s={rate_all:.4g} images_per_s_all={n / dt_all:.4g}",
        f"speedup_all_vs_1={rate_all / rate1:.3f}",
        f"mean_abs_m={ours_m:.4f}",
        f"matches_c={'yes' if c_m is not None and f'{ours_m:.4f}' == f'{c_m:.4f}' else ('no' if c_m is not None else 'nan')}",
        f"load1={os.getloadavg()[0]:.2f}",
    ]
    if reason:
        fields.append(reason)
    print(" ".join(fields))
    return 0
