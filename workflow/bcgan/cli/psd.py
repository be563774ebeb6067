"""``bcgan psd``: PSD tables, the temperature response model (Fig 2) and its held-out accuracy.

  bcgan psd table FILE ... --out table.csv [--response response.json [--heldout HELDOUT.h5 ...]]
  bcgan psd fit-response SHARD.h5 ... --out response.json [--n-bins 24]
  bcgan psd accuracy --response response.json --heldout FILE.h5 ... --out accuracy.csv
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.io import atomic_path

log = logging.getLogger(__name__)
GAUSSIAN_D2_TEXT = "9.21, the 99th percentile of chi-square with 2 dof"


def _read_file(path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n,L,L), temperature float32 (n,)) of one training shard or generated-sample file."""
    from bcgan.data.shards import read_images

    return read_images([path])


def _read_all(paths):
    """Images and temperatures of several files, plus the file name and in-file index of every image."""
    ims, ts, names, idx = [], [], [], []
    for p in paths:
        im, t = _read_file(p)
        ims.append(im)
        ts.append(t)
        names += [str(p)] * len(t)
        idx.append(np.arange(len(t)))
    sizes = {im.shape[1:] for im in ims}
    if len(sizes) > 1:
        raise UserError(f"image files have different image sizes {sorted(sizes)}: {', '.join(map(str, paths))}")
    return np.concatenate(ims), np.concatenate(ts).astype(np.float64), np.array(names, object), np.concatenate(idx)


def _psd_args(p) -> None:
    p.add_argument("--k-min", type=int, default=None, help="first ring of the fit (default 1)")
    p.add_argument("--k-max", type=int, default=None, help="last ring of the fit (default L/2 - 1)")
    p.add_argument("--power-floor", type=float, default=None,
                   help="clip ring power below this value (1.0 = a quarter of one flipped spin) instead of "
                        "failing on uniform/striped images (default: fail)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all usable CPUs)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("psd", help="PSD slope/intercept, temperature response model, its accuracy")
    sub = parser.add_subparsers(dest="psd_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("table", help="per-image PSD slope/intercept (and estimated T) as CSV",
                       description="Per-image PSD table of our HDF5 files or of images you bring: a plain HDF5 "
                                   "file with an 'images' dataset (n, L, L) of 0/255, ±1 or 0/1 values and an "
                                   "optional 'temperature', a .npy stack, a PNG or a folder of PNGs.")
    p.add_argument("files", nargs="+", type=Path,
                   help="HDF5 shards or sample files, plain HDF5 with 'images', .npy stacks, PNGs or PNG folders")
    p.add_argument("--out", type=Path, required=True, help="CSV: file,index,temperature,slope,intercept,...")
    p.add_argument("--response", type=Path, default=None,
                   help="response model: adds t_est, d2 and unlike_real columns; its k range and floor are used")
    p.add_argument("--heldout", type=Path, nargs="+", default=None,
                   help="held-out real images: unlike_real = d2 above their --d2-quantile (default: the "
                        f"Gaussian value {GAUSSIAN_D2_TEXT})")
    p.add_argument("--d2-quantile", type=float, default=0.99,
                   help="quantile of the held-out d2 that flags images unlike real ones (default 0.99)")
    _psd_args(p)
    p.set_defaults(func=run_table)

    p = sub.add_parser("fit-response", help="fit the temperature response model to training shards")
    p.add_argument("files", nargs="+", type=Path, help="training HDF5 shards")
    p.add_argument("--out", type=Path, required=True, help="response model JSON")
    p.add_argument("--n-bins", type=int, default=24, help="temperature bins (default 24)")
    p.add_argument("--grid-size", type=int, default=1024, help="dense temperature grid points (default 1024)")
    p.add_argument("--min-count", type=int, default=5, help="images a bin needs to be kept (default 5)")
    p.add_argument("--criterion", choices=("mahalanobis", "nll"), default="mahalanobis",
                   help="inverse-map criterion (default mahalanobis)")
    _psd_args(p)
    p.set_defaults(func=run_fit)

    p = sub.add_parser("accuracy", help="temperature error of the response model on held-out real images")
    p.add_argument("--response", type=Path, required=True, help="response model JSON")
    p.add_argument("--heldout", type=Path, nargs="+", required=True, help="held-out HDF5 shards")
    p.add_argument("--out", type=Path, required=True, help="CSV by region below/near/above Tc and all")
    p.add_argument("--near-frac", type=float, default=0.1, help="near Tc: |T - Tc| < FRAC * Tc (default 0.1)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all usable CPUs)")
    p.set_defaults(func=run_accuracy)


def _write_csv(df, path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def _fit_images(images, k_min, k_max, floor, threads):
    from bcgan.psd.spectrum import psd_fit

    return psd_fit(images, k_min=k_min, k_max=k_max, floor=floor, workers=threads)


def _model_psd_settings(model, args, path):
    """k range and floor stored in the response model; explicit conflicting options are an error."""
    k_min, k_max, floor = model.meta.get("k_min"), model.meta.get("k_max"), model.meta.get("floor")
    for name, given, stored in (("k-min", getattr(args, "k_min", None), k_min),
                                ("k-max", getattr(args, "k_max", None), k_max),
                                ("power-floor", getattr(args, "power_floor", None), floor)):
        if given is not None and given != stored:
            raise UserError(f"--{name} {given} conflicts with the response model {path} ({name} = {stored})")
    return k_min, k_max, floor


def _check_L(model, images, path) -> None:
    L = model.meta.get("L")
    if L is not None and images.shape[-1] != L:
        raise UserError(f"response model {path} was fitted to L={L} images; these are L={images.shape[-1]}")


def _read_user_files(paths):
    """Like _read_all, but also for images users bring (bcgan.psd.user_images); prints how foreign input was read."""
    import sys

    from bcgan.psd.user_images import read_user_images

    ims, ts, names, idx = [], [], [], []
    for p in paths:
        got = read_user_images(p)
        if got.note:
            print(f"note: {got.note}", file=sys.stderr)
        if ims and got.images.shape[1:] != ims[0].shape[1:]:
            raise UserError(f"{p}: images are {got.images.shape[1]}x{got.images.shape[2]} but {paths[0]} has "
                            f"{ims[0].shape[1]}x{ims[0].shape[2]}: give files of one image size")
        ims.append(got.images)
        ts.append(got.temperature)
        if got.files is None:
            names += [str(p)] * len(got.temperature)
            idx.append(np.arange(len(got.temperature)))
        else:  # PNGs: one file per image
            names += got.files
            idx.append(np.zeros(len(got.files), int))
    return np.concatenate(ims), np.concatenate(ts), np.array(names, object), np.concatenate(idx)


def _d2_threshold(model, args) -> tuple[float, str]:
    """Threshold on d2 above which an image is unlike real ones, and where it comes from (bcgan.psd.realism)."""
    from bcgan.psd.realism import gaussian_threshold, heldout_threshold

    if not args.heldout:
        return gaussian_threshold(args.d2_quantile), f"Gaussian chi-square(2) quantile {args.d2_quantile:g}"
    images, _, _, _ = _read_all(args.heldout)
    _check_L(model, images, args.response)
    threshold = heldout_threshold(model, images, quantile=args.d2_quantile, workers=args.threads)
    return threshold, f"quantile {args.d2_quantile:g} of {images.shape[0]} held-out real images"


def _summary(df) -> str:
    """One line about the table: count, T_est, error against a known T, images unlike real ones."""
    parts = [f"{len(df)} images"]
    if "t_est" in df:
        parts.append(f"T_est mean {df['t_est'].mean():.3f} (sd {df['t_est'].std(ddof=0):.3f})")
        known = df["temperature"].notna()
        if known.any():
            err = (df["t_est"] - df["temperature"])[known]
            parts.append(f"mean |T_est - T| {err.abs().mean():.3f} over {int(known.sum())} with a temperature")
        parts.append(f"{int(df['unlike_real'].sum())} unlike real images (d2 > {df.attrs['d2_threshold']:.2f})")
    return ", ".join(parts)


def run_table(args) -> int:
    import pandas as pd

    from bcgan.psd.response import estimate_temperature, load_response

    images, t, names, idx = _read_user_files(args.files)
    if args.heldout and args.response is None:
        raise UserError("--heldout sets the d2 threshold of --response: give --response too")
    model = None
    k_min, k_max, floor = args.k_min, args.k_max, args.power_floor
    if args.response is not None:
        model = load_response(args.response)
        k_min, k_max, floor = _model_psd_settings(model, args, args.response)
        _check_L(model, images, args.response)
    fit = _fit_images(images, k_min, k_max, floor, args.threads)
    df = pd.DataFrame({"file": names, "index": idx, "temperature": t, "slope": fit.slope,
                       "intercept": fit.intercept, "floored": fit.floored})
    if model is not None:
        df["t_est"], df["d2"] = estimate_temperature(model, fit.slope, fit.intercept, return_distance=True)
        threshold, source = _d2_threshold(model, args)
        df["unlike_real"] = df["d2"] > threshold
        df.attrs["d2_threshold"] = threshold
        log.info("d2 threshold %.3f (%s)", threshold, source)
    _write_csv(df, args.out)
    log.info("PSD of %d images (k=%d..%d, %d floored) -> %s", len(df), fit.k_min, fit.k_max,
             int(fit.floored.sum()), args.out)
    print(f"{args.out}: {_summary(df)}")
    return 0


def run_fit(args) -> int:
    from bcgan.data.ising import TC
    from bcgan.psd.response import fit_response, save_response

    images, t, _, _ = _read_all(args.files)
    fit = _fit_images(images, args.k_min, args.k_max, args.power_floor, args.threads)
    meta = {"L": int(images.shape[-1]), "k_min": fit.k_min, "k_max": fit.k_max, "floor": fit.floor,
            "tc": TC, "n_floored": int(fit.floored.sum()), "sources": [Path(p).name for p in args.files]}
    model = fit_response(fit.slope, fit.intercept, t, n_bins=args.n_bins, grid_size=args.grid_size,
                         min_count=args.min_count, criterion=args.criterion, meta=meta)
    save_response(model, args.out)
    log.info("response model from %d images, %d bins kept -> %s", t.size, model.bin_t.size, args.out)
    return 0


def run_accuracy(args) -> int:
    from bcgan.psd.response import accuracy_table, estimate_temperature, load_response

    model = load_response(args.response)
    k_min, k_max, floor = _model_psd_settings(model, args, args.response)
    images, t, _, _ = _read_all(args.heldout)
    _check_L(model, images, args.response)
    fit = _fit_images(images, k_min, k_max, floor, args.threads)
    t_est = estimate_temperature(model, fit.slope, fit.intercept)
    table = accuracy_table(t, t_est, tc=model.meta.get("tc"), near_frac=args.near_frac)
    _write_csv(table, args.out)
    log.info("held-out accuracy on %d images: MAE %.4f -> %s", t.size, table["mae"].iloc[-1], args.out)
    return 0
