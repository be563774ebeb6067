"""``bcgan ising``: simulate Ising images (Metropolis, paper Appendix A) into one HDF5 shard."""

from __future__ import annotations

import logging
import math

import numpy as np

from bcgan.errors import UserError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ising", help="simulate Ising images into an HDF5 shard",
                              description=__doc__)
    p.add_argument("--size", type=int, required=True, help="lattice edge L (images are L x L)")
    p.add_argument("--steps", type=int, default=None, help="attempted flips per image (default L**3, as the paper)")
    temps = p.add_mutually_exclusive_group(required=True)
    temps.add_argument("--temperatures", type=float, nargs="+", metavar="T",
                       help="explicit temperatures; with --count, each is repeated COUNT times")
    temps.add_argument("--t-range", type=float, nargs=2, metavar=("TMIN", "TMAX"),
                       help="draw each image's T uniformly in [TMIN, TMAX] (needs --count)")
    p.add_argument("--t-grid", type=int, default=None, metavar="K",
                   help="with --t-range: K evenly spaced temperatures instead, image i at grid[i mod K]")
    p.add_argument("--count", type=int, default=None,
                   help="number of images (with --t-range) or images per temperature (with --temperatures)")
    p.add_argument("--seed", type=int, required=True, help="dataset seed; image i's stream depends on (seed, i) only")
    p.add_argument("--first-index", type=int, default=0, help="global index of the first image of this shard")
    p.add_argument("--threads", type=int, default=None, help="Numba threads (default: all); never changes results")
    p.add_argument("--chunk", type=int, default=None, help="images per kernel call, for progress (default 16 x threads)")
    p.add_argument("--compression", choices=("gzip", "lzf"), default="gzip")
    p.add_argument("--out", required=True, help="output .h5 shard (written atomically)")
    p.set_defaults(func=run)


def _temperatures(args) -> tuple[np.ndarray, dict]:
    """Per-image float32 temperatures and the attrs that record how they were chosen."""
    from bcgan.data.ising import dataset_temperatures, grid_temperatures

    if args.count is not None and args.count < 1:
        raise UserError(f"--count must be >= 1, got {args.count}")
    if args.t_range is not None:
        if args.count is None:
            raise UserError("--t-range needs --count (number of images)")
        t_min, t_max = args.t_range
        if args.t_grid is not None:
            temps = grid_temperatures(t_min, t_max, args.t_grid, args.first_index, args.count)
            return temps, {"t_min": float(t_min), "t_max": float(t_max), "temperature_mode": f"grid:{args.t_grid}"}
        temps = dataset_temperatures(t_min, t_max, args.seed, args.first_index, args.count)
        return temps, {"t_min": float(t_min), "t_max": float(t_max), "temperature_mode": "uniform"}
    if args.t_grid is not None:
        raise UserError("--t-grid needs --t-range (the grid's end points)")
    for t in args.temperatures:
        if not (math.isfinite(t) and t > 0):
            raise UserError(f"--temperatures: every T must be finite and > 0, got {t}")
    temps = np.repeat(np.asarray(args.temperatures, dtype=np.float32), args.count or 1)
    return temps, {"temperature_mode": "list"}


def run(args) -> int:
    from tqdm import tqdm

    from bcgan.data import ising
    from bcgan.data.shards import write_shard
    from bcgan.memory import check_images_fit

    if args.size < 4:
        raise UserError(f"--size must be >= 4, got {args.size}")
    if args.steps is not None and args.steps < 1:
        raise UserError(f"--steps must be >= 1, got {args.steps}")
    if args.seed < 0 or args.seed >= 2**64:
        raise UserError(f"--seed must be in [0, 2^64), got {args.seed}")
    if args.first_index < 0:
        raise UserError(f"--first-index must be >= 0, got {args.first_index}")
    if args.chunk is not None and args.chunk < 1:
        raise UserError(f"--chunk must be >= 1, got {args.chunk}")
    if not str(args.out).endswith((".h5", ".hdf5")):
        raise UserError(f"--out must end in .h5 or .hdf5, got {args.out}")
    if args.count is not None and args.count >= 1:
        n = args.count * (len(args.temperatures) if args.temperatures else 1)
        check_images_fit(n, args.size, f"--count {args.count}", extra_per_image=40)  # + T, seed, energy, m
    temps, t_attrs = _temperatures(args)
    ising.set_threads(args.threads)
    import numba

    steps = args.steps if args.steps is not None else args.size**3
    n, L = temps.size, args.size
    chunk = args.chunk or 16 * numba.get_num_threads()
    out = {
        "images": np.empty((n, L, L), np.uint8),
        "seed": np.empty(n, np.uint64),
        "energy": np.empty(n, np.float64),
        "magnetization": np.empty(n, np.float64),
    }
    log.info("simulating %d images, L=%d, steps=%d, threads=%d", n, L, steps, numba.get_num_threads())
    with tqdm(total=n, unit="img", desc="ising", disable=None) as bar:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            res = ising.simulate(temps[start:stop], L, steps=steps, seed=args.seed,
                                 first_index=args.first_index + start)
            for key in out:
                out[key][start:stop] = res[key]
            bar.update(stop - start)
    attrs = {"global_seed": int(args.seed), "first_index": int(args.first_index), **t_attrs}
    write_shard(args.out, images=out["images"], temperature=temps, seed=out["seed"], energy=out["energy"],
                magnetization=out["magnetization"], steps=steps, algorithm=ising.ALGORITHM,
                extra_attrs=attrs, compression=args.compression)
    log.info("wrote %s (%d images, mean |m| %.3f)", args.out, n, float(np.abs(out["magnetization"]).mean()))
    return 0
