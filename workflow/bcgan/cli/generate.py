"""``bcgan generate``: microstructures of a trained generator at the temperatures you ask for.

  bcgan generate GENERATOR.pt --temperature T [T ...] [--count 16] [--seed 0] --out DIR
                 [--response response.json [--heldout heldout.h5 ...]] [--device cpu] [--threads K]

Writes DIR/images/T<T>_<i>.png (one L x L PNG per image, 0/255 as in the dataset), DIR/contact_sheet.png,
DIR/samples.h5 (our "samples" format: evaluate it with `bcgan psd table`) and, with --response,
DIR/estimates.csv (each image's estimated temperature T_est, its distance d2 to real images and
whether it is unlike real images). Same seed, same images (noise convention of bcgan.nets.sampling).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bcgan.errors import UserError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("generate", help="PNGs + HDF5 of a trained generator at chosen temperatures",
                              description=__doc__.splitlines()[0])
    p.add_argument("generator", type=Path, help="trained generator file (results/<preset>/models/<variant>/generator.pt)")
    p.add_argument("--temperature", type=float, nargs="+", required=True, metavar="T",
                   help="conditioning temperature(s) in J/k_B, e.g. 1.5 2.27 3.0")
    p.add_argument("--count", type=int, default=16, help="images per temperature (default 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-image noise (default 0)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--response", type=Path, default=None,
                   help="PSD response model (results/<preset>/psd/response.json): estimate each image's temperature")
    p.add_argument("--heldout", type=Path, nargs="+", default=None,
                   help="held-out real images (results/<preset>/data/heldout.h5): d2 threshold from them "
                        "(default: the Gaussian 99%% value 9.21)")
    p.add_argument("--batch", type=int, default=256, help="images per forward pass (default 256)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=run)


def _estimates(args, images, temperature, noise_seed, names):
    """DataFrame of T_est, d2 and unlike_real per image (bcgan.psd.realism), and the threshold used."""
    import pandas as pd

    from bcgan.data.shards import read_images
    from bcgan.psd.realism import d2_of, gaussian_threshold, heldout_threshold
    from bcgan.psd.response import load_response

    model = load_response(args.response)
    L = model.meta.get("L")
    if L is not None and int(L) != images.shape[1]:
        raise UserError(f"response model {args.response} was fitted to L={L} images; the generator makes "
                        f"L={images.shape[1]}")
    threshold = gaussian_threshold()
    if args.heldout:
        threshold = heldout_threshold(model, read_images(args.heldout)[0], workers=args.threads)
    t_est, d2 = d2_of(model, images, workers=args.threads)
    df = pd.DataFrame({"png": names, "temperature": temperature.astype(float), "noise_seed": noise_seed,
                       "t_est": t_est, "d2": d2, "unlike_real": d2 > threshold})
    return df, threshold


def run(args) -> int:
    import numpy as np
    import torch

    from bcgan.cli.sample import _device
    from bcgan.data.shards import write_samples
    from bcgan.evaluation.generate import contact_sheet, plan, range_warnings, write_pngs
    from bcgan.nets.precision import set_cpu_threads
    from bcgan.nets.sampling import generate
    from bcgan.training.checkpoints import load_generator

    temperature, seeds = plan(args.temperature, args.count, args.seed)
    set_cpu_threads(args.threads)
    if args.heldout and args.response is None:
        raise UserError("--heldout sets the d2 threshold of --response: give --response too")
    device = _device(args.device)
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UserError(f"--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    G, payload = load_generator(args.generator, device)
    for warning in range_warnings(args.temperature, payload["build"]["t_range"]):
        print(f"warning: {args.generator}: {warning}", file=sys.stderr)
    images = generate(G, temperature, seeds, batch_size=args.batch, device=device, progress=False)
    out = Path(args.out)
    names = write_pngs(out / "images", images, temperature)
    write_samples(out / "samples.h5", images=images, temperature=temperature, noise_seed=seeds,
                  variant=payload["variant"],
                  extra_attrs={"seed": int(args.seed), "count": int(args.count), "z_dim": int(G.z_dim),
                               "generator": Path(args.generator).name,
                               "noise": "z[i] = PCG64(noise_seed[i]).standard_normal(z_dim, float32); "
                                        "noise_seed[i] = SeedSequence(seed, spawn_key=(i,)); "
                                        "i = T index * count + replicate"})
    t_est = None
    if args.response is not None:
        df, threshold = _estimates(args, images, temperature, seeds, names)
        from bcgan.io import atomic_path

        with atomic_path(out / "estimates.csv") as tmp:
            df.to_csv(tmp, index=False)
        t_est = df["t_est"].to_numpy()
        for t, g in df.groupby("temperature", sort=False):
            print(f"T = {t:.4g}: {len(g)} images, T_est {g['t_est'].mean():.3f} ± {g['t_est'].std(ddof=0):.3f}, "
                  f"{int(g['unlike_real'].sum())} unlike real images (d2 > {threshold:.2f})")
    contact_sheet(out / "contact_sheet.png", images, temperature, t_est)
    print(f"{payload['variant']}: {images.shape[0]} images of {images.shape[1]}x{images.shape[2]} "
          f"({len(np.unique(temperature))} temperatures x {args.count}) on {device} -> {out}/images/, "
          f"{out}/contact_sheet.png, {out}/samples.h5" + (f", {out}/estimates.csv" if t_est is not None else ""))
    return 0
