"""``bcgan generate``: microstructures of a trained generator at the temperatures you ask for.

  bcgan generate GENERATOR.pt --temperature T [T ...] [--count 16] [--seed 0] --out DIR [--overwrite]
                 [--response response.json [--heldout heldout.h5 ...]] [--device cpu] [--threads K]

Writes DIR/images/T<T>_<i>.png (one L x L PNG per image, 0/255 as in the dataset), DIR/contact_sheet.png,
DIR/samples.h5 (our "samples" format: evaluate it with `bcgan psd table`) and, with --response,
DIR/estimates.csv (each image's estimated temperature T_est, its distance d2 to real images and
whether it is unlike real images). Same seed, same images (noise convention of bcgan.nets.sampling).
DIR is written whole or not at all: built as a temporary folder beside it and renamed when complete;
an existing non-empty DIR is refused unless --overwrite, which replaces an earlier output of this
command (nothing else) whole.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bcgan.errors import UserError

log = logging.getLogger(__name__)

OURS = ("images", "contact_sheet.png", "samples.h5", "estimates.csv")  # what --overwrite may replace


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("generate", help="PNGs + HDF5 of a trained generator at chosen temperatures",
                              description=__doc__.splitlines()[0])
    p.add_argument("generator", type=Path, help="trained generator file (results/<preset>/models/<variant>/generator.pt)")
    p.add_argument("--temperature", type=float, nargs="+", required=True, metavar="T",
                   help="conditioning temperature(s) in J/k_B, e.g. 1.5 2.27 3.0")
    p.add_argument("--count", type=int, default=16, help="images per temperature (default 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-image noise (default 0)")
    p.add_argument("--out", type=Path, required=True,
                   help="output folder: absent or empty, or with --overwrite an earlier output of this command")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier `bcgan generate` output in --out whole (never mixed with this run)")
    p.add_argument("--response", type=Path, default=None,
                   help="PSD response model (results/<preset>/psd/response.json): estimate each image's temperature")
    p.add_argument("--heldout", type=Path, nargs="+", default=None,
                   help="held-out real images (results/<preset>/data/heldout.h5): d2 threshold from them "
                        "(default: the Gaussian 99%% value 9.21)")
    p.add_argument("--batch", type=int, default=256, help="images per forward pass (default 256)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=run, outputs=())  # --out is a folder: checked by bcgan.io.check_output_dir


def _response(args, L: int):
    """(response model, d2 threshold) of --response / --heldout, checked against the generator's image
    size L, or (None, None): read before any image is made or written."""
    from bcgan.data.shards import read_images
    from bcgan.psd.realism import gaussian_threshold, heldout_threshold
    from bcgan.psd.response import load_response

    if args.response is None:
        return None, None
    model = load_response(args.response)
    fitted_L = model.meta.get("L")
    if fitted_L is not None and int(fitted_L) != L:
        raise UserError(f"response model {args.response} was fitted to L={fitted_L} images; the generator makes "
                        f"L={L}")
    if not args.heldout:
        return model, gaussian_threshold()
    heldout = read_images(args.heldout)[0]
    if heldout.shape[-1] != L:
        raise UserError(f"held-out images {args.heldout[0]} are L={heldout.shape[-1]}; the generator makes L={L}")
    return model, heldout_threshold(model, heldout, workers=args.threads)


def _estimates(model, threshold, args, images, temperature, noise_seed, names):
    """DataFrame of T_est, d2 and unlike_real per image (bcgan.psd.realism)."""
    import pandas as pd

    from bcgan.psd.realism import d2_of

    t_est, d2 = d2_of(model, images, workers=args.threads)
    return pd.DataFrame({"png": names, "temperature": temperature.astype(float), "noise_seed": noise_seed,
                         "t_est": t_est, "d2": d2, "unlike_real": d2 > threshold})


def run(args) -> int:
    import numpy as np
    import torch

    from bcgan.cli.sample import _device
    from bcgan.data.shards import write_samples
    from bcgan.evaluation.generate import contact_sheet, plan, png_name, range_warnings, write_pngs
    from bcgan.io import atomic_dir, check_output_dir
    from bcgan.nets.precision import set_cpu_threads
    from bcgan.nets.sampling import generate
    from bcgan.training.checkpoints import load_generator

    # every input and the output folder are checked before an image is made; the folder is built
    # under a temporary name beside --out and renamed when complete (bcgan.io.atomic_dir)
    set_cpu_threads(args.threads)
    if args.heldout and args.response is None:
        raise UserError("--heldout sets the d2 threshold of --response: give --response too")
    out = Path(args.out)
    check_output_dir(out, args.overwrite, OURS, "--out")
    device = _device(args.device)
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UserError(f"--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    G, payload = load_generator(args.generator, device)
    temperature, seeds = plan(args.temperature, args.count, args.seed, int(payload["build"]["image_size"]))
    model, threshold = _response(args, int(payload["build"]["image_size"]))
    for warning in range_warnings(args.temperature, payload["build"]["t_range"]):
        print(f"warning: {args.generator}: {warning}", file=sys.stderr)
    images = generate(G, temperature, seeds, batch_size=args.batch, device=device, progress=False)
    names = [png_name(t, i) for i, t in enumerate(temperature)]
    df = None if model is None else _estimates(model, threshold, args, images, temperature, seeds, names)
    t_est = None if df is None else df["t_est"].to_numpy()
    with atomic_dir(out, args.overwrite, OURS, "--out") as tmp:
        write_pngs(tmp / "images", images, temperature)
        write_samples(tmp / "samples.h5", images=images, temperature=temperature, noise_seed=seeds,
                      variant=payload["variant"],
                      extra_attrs={"seed": int(args.seed), "count": int(args.count), "z_dim": int(G.z_dim),
                                   "generator": Path(args.generator).name,
                                   "noise": "z[i] = PCG64(noise_seed[i]).standard_normal(z_dim, float32); "
                                            "noise_seed[i] = SeedSequence(seed, spawn_key=(i,)); "
                                            "i = T index * count + replicate"})
        if df is not None:
            df.to_csv(tmp / "estimates.csv", index=False)
        contact_sheet(tmp / "contact_sheet.png", images, temperature, t_est)
    if df is not None:
        for t, g in df.groupby("temperature", sort=False):
            print(f"T = {t:.4g}: {len(g)} images, T_est {g['t_est'].mean():.3f} ± {g['t_est'].std(ddof=0):.3f}, "
                  f"{int(g['unlike_real'].sum())} unlike real images (d2 > {threshold:.2f})")
    print(f"{payload['variant']}: {images.shape[0]} images of {images.shape[1]}x{images.shape[2]} "
          f"({len(np.unique(temperature))} temperatures x {args.count}) on {device} -> {out}/images/, "
          f"{out}/contact_sheet.png, {out}/samples.h5" + (f", {out}/estimates.csv" if t_est is not None else ""))
    return 0
