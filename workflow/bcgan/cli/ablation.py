"""``bcgan ablation``: train several conditioning arms on the same data and budget, and compare them.

  bcgan ablation SHARD.h5 ... --response response.json --arms bcgan bcgan-linear ... --epochs 6
      --out DIR [--g-channels 16 --d-channels 16 --z-dim 64 --batch-size 64 --precision auto --eval-every 250]

Each arm is a variant name (the paper's five or an ablation arm of bcgan.models.ABLATION_SPECS) and is
trained exactly like the workflow's training job (bcgan.train, same seed, data order and noise),
with its progress.csv, then diagnosed (bcgan.diagnostics). DIR gets <arm>/progress.csv,
<arm>/generator.pt and ablation.csv / ablation.md with one row per arm. An arm whose generator
already exists is not retrained (delete its folder to redo it).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bcgan.errors import UserError

log = logging.getLogger(__name__)

COLUMNS = ["arm", "iterations", "diversity", "diversity_flip", "mae_all", "psd_distance", "energy_error",
           "frac_positive", "spearman_all", "spearman_1_2", "spearman_2_4", "gain_mean", "gain_below_0.1",
           "bias_over_gain_above_2.5", "z_share", "gen_params", "disc_params", "embed_g_params", "embed_d_params"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ablation", help="train conditioning arms on one budget and compare them")
    p.add_argument("files", nargs="+", type=Path, help="training HDF5 shards")
    p.add_argument("--response", type=Path, required=True, help="PSD response model (response.json)")
    p.add_argument("--arms", nargs="+", required=True, help="variant names, e.g. bcgan bcgan-linear cgan64")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--g-channels", type=int, default=16)
    p.add_argument("--d-channels", type=int, default=16)
    p.add_argument("--z-dim", type=int, default=64)
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="auto: bf16 on CUDA and on CPUs with native bf16, else fp32 (bcgan.precision)")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--eval-temperatures", type=int, default=16)
    p.add_argument("--eval-per-temperature", type=int, default=32)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=run)


def _row(arm: str, G, progress_rows: list, eval_set, args) -> dict:
    from bcgan.diagnostics import cbn_gain_stats, z_share
    from bcgan.metrics import t_response
    from bcgan.models import count_parameters
    from bcgan.realism import d2_of
    from bcgan.sample import generate

    last = progress_rows[-1]
    images = generate(G, eval_set.temperature, eval_set.noise_seed, precision=args.precision, progress=False)
    resp = t_response(eval_set.temperature, d2_of(eval_set.response, images)[0])
    counts = count_parameters(arm, G.image_size, args.g_channels, args.d_channels, args.z_dim)
    row = {"arm": arm, "iterations": int(last["iteration"]),
           **{k: last[k] for k in ("diversity", "diversity_flip", "mae_all", "psd_distance", "energy_error",
                                   "frac_positive")},
           "spearman_all": resp["spearman_all"], "spearman_1_2": resp["spearman_1_2"],
           "spearman_2_4": resp["spearman_2_4"], **cbn_gain_stats(G, eval_set.grid),
           "z_share": z_share(G, eval_set.grid), "gen_params": counts["gen"], "disc_params": counts["disc"],
           "embed_g_params": counts["embed_g"], "embed_d_params": counts["embed_d"]}
    log.info("%s: mean T_est per grid T %s", arm, np.round(resp["mean_t_est"], 2).tolist())
    return row


def run(args) -> int:
    import pandas as pd
    import torch

    from bcgan.checkpoints import load_generator, save_generator
    from bcgan.models import variant_spec
    from bcgan.precision import resolve_precision, set_cpu_threads
    from bcgan.progress import make_eval_set, read_progress_csv, write_progress_csv
    from bcgan.response import load_response
    from bcgan.shards import read_images
    from bcgan.tables import markdown
    from bcgan.train import TrainConfig, train_gan

    set_cpu_threads(args.threads)
    args.precision, why = resolve_precision(args.precision, torch.device("cpu"))
    log.info("training in %s (%s)", args.precision, why)
    for arm in args.arms:
        if variant_spec(arm).kind == "ccgan":
            raise UserError(f"--arms: {arm} needs CcGAN's pretraining; compare it through the workflow instead")
    images, temps = read_images(args.files)
    t_range = (float(temps.min()), float(temps.max()))
    eval_set = make_eval_set(images, temps, load_response(args.response), n_temperatures=args.eval_temperatures,
                             per_temperature=args.eval_per_temperature, seed=args.seed)
    rows = []
    for arm in args.arms:
        folder = args.out / arm
        folder.mkdir(parents=True, exist_ok=True)
        gen_path, progress_path = folder / "generator.pt", folder / "progress.csv"
        if gen_path.exists() and progress_path.exists():
            G, _ = load_generator(gen_path)
            progress_rows = read_progress_csv(progress_path).to_dict("records")
        else:
            cfg = TrainConfig(variant=arm, g_channels=args.g_channels, d_channels=args.d_channels, z_dim=args.z_dim,
                              t_range=t_range, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                              precision=args.precision)
            G, _, res = train_gan(images, temps, cfg, checkpoint=folder / "checkpoint.pt", eval_set=eval_set,
                                  eval_every=args.eval_every, progress=False)
            log.info("%s: %d iterations, %.1f images/s", arm, res.iterations, res.images_per_s)
            progress_rows = res.progress
            write_progress_csv(progress_path, progress_rows)
            save_generator(gen_path, G.cpu(), epochs=res.epochs, iterations=res.iterations, seed=args.seed,
                           precision=args.precision)
        rows.append(_row(arm, G.cpu(), progress_rows, eval_set, args))
        table = pd.DataFrame(rows, columns=COLUMNS)
        table.to_csv(args.out / "ablation.csv", index=False)
        shown = table.map(lambda x: f"{x:.3g}" if isinstance(x, float) else x)
        (args.out / "ablation.md").write_text(markdown(shown) + "\n")
    print(table.to_string(index=False))
    return 0
