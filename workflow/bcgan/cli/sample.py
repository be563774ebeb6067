"""``bcgan sample``: generate the evaluation image set of one trained generator (Figs 3–4, metrics).

  bcgan sample --generator models/V/generator.pt --t-range TMIN TMAX --n-temperatures N
               --per-temperature M --seed S [--batch 256] [--threads K] [--device cpu] --out samples/V.h5

Writes a "samples" HDF5 file (images uint8 0/255, temperature = conditioning T, noise_seed) with the
variant and the sampling settings as attributes; see bcgan.nets.sampling for the noise convention.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bcgan.errors import UserError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sample", help="images of one generator on a temperature grid, fixed per-image noise")
    p.add_argument("--generator", type=Path, required=True, help="generator file (bcgan.training.checkpoints format)")
    p.add_argument("--t-range", type=float, nargs=2, required=True, metavar=("TMIN", "TMAX"),
                   help="conditioning temperature grid spans [TMIN, TMAX] (paper: 0 .. 2 Tc)")
    p.add_argument("--n-temperatures", type=int, required=True, help="grid points")
    p.add_argument("--per-temperature", type=int, required=True, help="images per grid point (paper: 100)")
    p.add_argument("--seed", type=int, required=True, help="global seed of the per-image noise seeds")
    p.add_argument("--batch", type=int, default=256, help="images per forward pass (default 256)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu: bit-reproducible)")
    p.add_argument("--variant", default=None, help="refuse a generator of any other variant (the workflow's check)")
    p.add_argument("--out", type=Path, required=True, help="output samples HDF5")
    p.set_defaults(func=run)


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device {name!r} is not a torch device") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine")
    return dev


def run(args) -> int:
    import torch

    from bcgan.data.shards import write_samples
    from bcgan.memory import check_images_fit
    from bcgan.nets.precision import set_cpu_threads
    from bcgan.nets.sampling import sample_grid
    from bcgan.training.checkpoints import load_generator

    set_cpu_threads(args.threads)
    device = _device(args.device)
    G, payload = load_generator(args.generator, device, args.variant)
    check_images_fit(args.n_temperatures * args.per_temperature, int(payload["build"]["image_size"]),
                     f"--n-temperatures {args.n_temperatures} x --per-temperature {args.per_temperature}")
    precision = payload["metadata"].get("precision", "fp32")  # sample in the precision G was trained in
    t_min, t_max = args.t_range
    s = sample_grid(G, t_min=t_min, t_max=t_max, n_temperatures=args.n_temperatures,
                    per_temperature=args.per_temperature, seed=args.seed, batch_size=args.batch, device=device,
                    precision=precision)
    attrs = {"seed": int(args.seed), "t_min": float(t_min), "t_max": float(t_max),
             "n_temperatures": int(args.n_temperatures), "per_temperature": int(args.per_temperature),
             "z_dim": int(G.z_dim), "generator": Path(args.generator).name, "precision": precision,
             "noise": "z[i] = PCG64(noise_seed[i]).standard_normal(z_dim, float32); "
                      "noise_seed[i] = SeedSequence(seed, spawn_key=(i,)); i = T index * per_temperature + replicate"}
    write_samples(args.out, images=s["images"], temperature=s["temperature"], noise_seed=s["noise_seed"],
                  variant=payload["variant"], extra_attrs=attrs)
    log.info("%s: %d images (%d temperatures x %d) on %s -> %s", payload["variant"], s["images"].shape[0],
             s["grid"].size, args.per_temperature, device, args.out)
    return 0
