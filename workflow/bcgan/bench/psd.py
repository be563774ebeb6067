"""PSD slope/intercept throughput (images/s) of bcgan.psd.spectrum beside shared/bench/psd_ref.py, same process.

Prints one line of key=value pairs: ours at 1 thread and at --threads, the reference per_image()
and batched(), the speed-up over the faster reference, and max |slope difference| to per_image().
Each timing is the best of --repeats runs after one warm-up (numba compile, FFT plan caches).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.psd.spectrum import _default_workers, psd_fit

# workflow/bcgan/bench/psd.py -> repo root is parents[3]; the shared folder sits beside the repo.
DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "bench"


def add_arguments(parser) -> None:
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help="folder holding psd_ref.py (default: %(default)s)")
    parser.add_argument("--n", type=int, default=1000, help="images in the stack (default 1000)")
    parser.add_argument("--size", type=int, default=128, help="image side L (default 128)")
    parser.add_argument("--threads", type=int, default=None, help="threads for ours (default: all usable CPUs)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=0)


def _load_reference(folder: Path):
    path = Path(folder) / "psd_ref.py"
    if not path.is_file():
        raise UserError(f"reference PSD implementation not found: {path} (use --reference-dir)")
    spec = importlib.util.spec_from_file_location("psd_ref", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(args) -> int:
    ref = _load_reference(args.reference_dir)
    if args.n < 1 or args.size < 4:
        raise UserError(f"bench psd needs --n >= 1 and --size >= 4; got n={args.n} size={args.size}")
    rng = np.random.default_rng(args.seed)
    images = (rng.random((args.n, args.size, args.size)) < 0.5).astype(np.uint8) * 255
    threads = _default_workers() if args.threads is None else max(1, args.threads)

    t_ours1 = _best(lambda: psd_fit(images, workers=1), args.repeats)
    t_ours = _best(lambda: psd_fit(images, workers=threads), args.repeats) if threads > 1 else t_ours1
    t_per = _best(lambda: ref.per_image(images), max(1, args.repeats - 1))
    t_bat = _best(lambda: ref.batched(images), max(1, args.repeats - 1))

    ours = psd_fit(images, workers=threads).slope
    dslope = float(np.max(np.abs(ours - ref.per_image(images))))
    dslope_b = float(np.max(np.abs(ours - ref.batched(images))))
    n = args.n
    faster_ref = n / min(t_per, t_bat)
    print(
        f"bench=psd n={n} L={args.size} ours_1thread_img_s={n / t_ours1:.0f} threads={threads} "
        f"ours_img_s={n / t_ours:.0f} ref_per_image_img_s={n / t_per:.0f} ref_batched_img_s={n / t_bat:.0f} "
        f"speedup_1thread={n / t_ours1 / faster_ref:.2f} speedup={n / t_ours / faster_ref:.2f} "
        f"max_abs_dslope_per_image={dslope:.2e} max_abs_dslope_batched={dslope_b:.2e}"
    )
    return 0
