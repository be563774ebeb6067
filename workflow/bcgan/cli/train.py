"""``bcgan train``: GAN training per variant and CcGAN's label-embedding pretraining.

  bcgan train regressor SHARD.h5 ... --t-range TMIN TMAX --out regressor.pt [--embed-dim 128 --width 64 --epochs 5]
  bcgan train y2h SHARD.h5 ... --regressor regressor.pt --out y2h.pt [--epochs 500]
  bcgan train gan SHARD.h5 ... --variant V --t-range TMIN TMAX --g-channels C --d-channels C --z-dim Z
      --generator generator.pt [--generator-ema generator_ema.pt] --losses losses.csv --loss-curve loss_curve.png
      --checkpoint checkpoint.pt
      [--y2h y2h.pt (ccgan)] [--epochs 100 --batch-size 200 --lr 1e-4 --betas 0 0.99 --seed S]
      [--device auto|cpu|cuda --precision auto|fp32|bf16 --threads N]
      [--response response.json --progress progress.csv --progress-ema progress_ema.csv --ema-decay 0.999
       --eval-every N --eval-temperatures 16 --eval-per-temperature 32]

A rerun of ``train gan`` with an existing ``--checkpoint`` resumes after its last finished epoch (a
killed run, or one given more ``--epochs``); a training that finished and wrote its outputs starts over.
The last line printed, ``variant=... seconds=S ...``, gives the training time summed over its runs.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

from bcgan.errors import UserError

log = logging.getLogger(__name__)


def _t_range(values) -> tuple[float, float]:
    try:
        t_min, t_max = (float(v) for v in values)
    except ValueError:
        raise UserError(f"--t-range needs two numbers, got {' '.join(values)}") from None
    if not (math.isfinite(t_min) and math.isfinite(t_max)):
        raise UserError(f"--t-range: {' '.join(values)} not allowed (must be finite numbers)")
    if not t_min < t_max:
        raise UserError(f"--t-range: t_min {t_min} must be below t_max {t_max}")
    return t_min, t_max


def _common(p, seed_default: int = 0) -> None:
    p.add_argument("files", nargs="+", type=Path, help="training HDF5 shards")
    p.add_argument("--seed", type=int, default=seed_default, help="seed of initialisation and data order")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a GAN variant, or CcGAN's regressor / y2h")
    sub = parser.add_subparsers(dest="train_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("gan", help="train one GAN variant (resumable)")
    _common(p)
    p.add_argument("--variant", required=True, help="ccgan, cgan64, cgan256, cgan1024, bcgan")
    p.add_argument("--t-range", nargs=2, required=True, metavar=("TMIN", "TMAX"), help="dataset temperature range")
    p.add_argument("--g-channels", type=int, required=True)
    p.add_argument("--d-channels", type=int, required=True)
    p.add_argument("--z-dim", type=int, required=True)
    p.add_argument("--y2h", type=Path, default=None, help="pretrained y2h.pt (ccgan only)")
    p.add_argument("--vicinity", choices=("soft", "hard"), default="soft", help="ccgan D loss: SVDL or HVDL")
    p.add_argument("--kappa-multiplier", type=float, default=1.0, help="ccgan vicinity width multiplier")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--betas", type=float, nargs=2, default=(0.0, 0.99))
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="fp32",
                   help="fp32 (bit-reproducible on CPU), bf16 autocast (faster where the hardware has bf16), "
                        "or auto: bf16 on CUDA and on CPUs with native bf16, else fp32 (bcgan.nets.precision)")
    p.add_argument("--response", type=Path, default=None, help="PSD response model: evaluate G while training")
    p.add_argument("--progress", type=Path, default=None, help="output progress.csv (needs --response)")
    p.add_argument("--progress-ema", type=Path, default=None,
                   help="output progress.csv of the moving average of G's weights (needs --progress)")
    p.add_argument("--ema-decay", type=float, default=0.999, help="decay of that moving average (bcgan.training.ema)")
    p.add_argument("--eval-every", type=int, default=0, help="iterations between evaluations (0 = at the end only)")
    p.add_argument("--eval-temperatures", type=int, default=16, help="conditioning temperatures of the evaluation")
    p.add_argument("--eval-per-temperature", type=int, default=32, help="images per evaluation temperature")
    p.add_argument("--generator", type=Path, required=True, help="output generator.pt")
    p.add_argument("--generator-ema", type=Path, default=None,
                   help="output generator.pt holding the moving average of G's weights (bcgan.training.ema)")
    p.add_argument("--losses", type=Path, required=True, help="output per-iteration losses CSV")
    p.add_argument("--loss-curve", type=Path, required=True, help="output loss-curve PNG")
    p.add_argument("--checkpoint", type=Path, required=True, help="resume checkpoint (kept after the run)")
    p.set_defaults(func=run_gan, outputs=("generator", "generator_ema", "losses", "loss_curve", "checkpoint",
                                          "progress", "progress_ema"))

    from bcgan.figures import training_progress

    p = sub.add_parser("progress-figure", help="progress.csv metrics of every variant against images seen")
    training_progress.add_arguments(p)
    p.set_defaults(func=training_progress.run)

    from bcgan.tables import convergence

    p = sub.add_parser("convergence", help="is each variant's training flat over its last fifth? (progress.csv)")
    convergence.add_arguments(p)
    p.set_defaults(func=convergence.run)

    p = sub.add_parser("regressor", help="CcGAN: ResNet34 image -> normalised temperature")
    _common(p)
    p.add_argument("--t-range", nargs=2, required=True, metavar=("TMIN", "TMAX"), help="label normalisation range")
    p.add_argument("--embed-dim", type=int, default=128)
    p.add_argument("--width", type=int, default=64, help="ResNet34 base width (64 = ResNet34 proper)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--out", type=Path, required=True, help="output regressor.pt")
    p.set_defaults(func=run_regressor)

    p = sub.add_parser("y2h", help="CcGAN: label -> embedding MLP through the frozen regressor")
    _common(p)
    p.add_argument("--regressor", type=Path, required=True, help="regressor.pt of `bcgan train regressor`")
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--out", type=Path, required=True, help="output y2h.pt")
    p.set_defaults(func=run_y2h)


def _setup(args):
    from bcgan.nets.precision import set_cpu_threads
    from bcgan.training.loop import resolve_device

    set_cpu_threads(args.threads)
    return resolve_device(args.device)


def _precision(requested: str, device, checkpoint, cfg, fingerprint: str) -> tuple[str, str]:
    """(precision, why): ``auto`` decides by hardware, except that a run that will resume from
    ``checkpoint`` keeps the precision it started in (a CPU run continued on a GPU stays fp32 if it
    began so); a checkpoint that will not be resumed (other settings or data) changes nothing."""
    from bcgan.nets.precision import resolve_precision
    from bcgan.training.resume import resumable_precision

    precision, why = resolve_precision(requested, device)
    started = resumable_precision(checkpoint, cfg, fingerprint) if requested == "auto" else None
    if started is not None and started != precision:
        return started, f"auto: {started}, the precision of the checkpoint being resumed"
    return precision, why


def _data(files):
    from bcgan.data.shards import read_images

    return read_images(files)


def run_gan(args) -> int:
    from bcgan.figures.losses import save_loss_curve
    from bcgan.nets.models import variant_spec
    from bcgan.training.checkpoints import save_generator
    from bcgan.training.loop import TrainConfig, train_gan, write_losses_csv
    from bcgan.training.resume import data_fingerprint, mark_outputs_written

    device = _setup(args)
    t_range = _t_range(args.t_range)
    spec = variant_spec(args.variant)
    y2h = None
    if spec.kind == "ccgan":
        if args.y2h is None:
            raise UserError(f"variant {args.variant} needs --y2h (the pretrained y2h.pt)")
        from bcgan.training.pretrain import load_y2h

        y2h, payload = load_y2h(args.y2h)
        if [round(v, 6) for v in payload["t_range"]] != [round(v, 6) for v in t_range]:
            raise UserError(f"{args.y2h}: trained for t_range {payload['t_range']}, not {list(t_range)}")
    elif args.y2h is not None:
        raise UserError(f"--y2h is only for ccgan, not {args.variant}")
    if (args.response is None) != (args.progress is None):
        raise UserError("--response and --progress go together (the evaluation needs the response model)")
    if args.progress_ema is not None and args.progress is None:
        raise UserError("--progress-ema needs --progress and --response")
    images, temps = _data(args.files)
    settings = dict(variant=args.variant, g_channels=args.g_channels, d_channels=args.d_channels, z_dim=args.z_dim,
                    t_range=t_range, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                    betas=tuple(args.betas), seed=args.seed, vicinity=args.vicinity,
                    kappa_multiplier=args.kappa_multiplier, ema_decay=args.ema_decay)
    fingerprint = data_fingerprint(images, temps, y2h)
    precision, why = _precision(args.precision, device, args.checkpoint, TrainConfig(**settings), fingerprint)
    cfg = TrainConfig(**settings, precision=precision)
    eval_set = None
    if args.response is not None:
        from bcgan.psd.response import load_response
        from bcgan.training.progress import make_eval_set

        eval_set = make_eval_set(images, temps, load_response(args.response), n_temperatures=args.eval_temperatures,
                                 per_temperature=args.eval_per_temperature, seed=args.seed)
    log.info("training %s on %d images of %dx%d on %s in %s (%s)", args.variant, len(temps), images.shape[1],
             images.shape[2], device, precision, why)
    G, _, res = train_gan(images, temps, cfg, checkpoint=args.checkpoint, y2h=y2h, device=device,
                          progress=not args.no_progress, eval_set=eval_set,
                          eval_every=args.eval_every)
    # no wall-clock values in the file: the same training gives the same bytes (timings go to the log)
    about = dict(epochs=res.epochs, iterations=res.iterations, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
                 betas=list(args.betas), device=str(device), precision=precision)
    save_generator(args.generator, G.cpu(), **about)
    if args.generator_ema is not None:
        save_generator(args.generator_ema, res.G_ema.cpu(), **about, weights="ema", ema_decay=args.ema_decay)
    write_losses_csv(args.losses, res.rows)
    if args.progress is not None:
        from bcgan.training.progress import write_progress_csv

        write_progress_csv(args.progress, res.progress)
        if args.progress_ema is not None:
            write_progress_csv(args.progress_ema, res.progress_ema)
    save_loss_curve(args.loss_curve, res.rows, args.variant)
    mark_outputs_written(args.checkpoint)  # a rerun of this finished training starts over
    log.info("%s done: %d epochs, %d iterations, %.1f s, %.1f images/s", args.variant, res.epochs, res.iterations,
             res.seconds, res.images_per_s)
    print(f"variant={args.variant} epochs={res.epochs} iterations={res.iterations} seconds={res.seconds:.2f} "
          f"images_per_s={res.images_per_s:.1f}")
    return 0


def run_regressor(args) -> int:
    from bcgan.training.pretrain import save_regressor, train_regressor

    device = _setup(args)
    t_range = _t_range(args.t_range)
    images, temps = _data(args.files)
    t0 = time.perf_counter()
    net, losses = train_regressor(images, temps, t_range, embed_dim=args.embed_dim, base_width=args.width,
                                  epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                                  device=device, progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    save_regressor(args.out, net.cpu(), t_range, losses, epochs=args.epochs, seed=args.seed)  # no wall clock: reproducible bytes
    print(f"regressor epochs={args.epochs} mse_first={losses[0]:.6g} mse_last={losses[-1]:.6g} seconds={seconds:.2f}")
    return 0


def run_y2h(args) -> int:
    from bcgan.training.pretrain import load_regressor, normalise_labels, save_y2h, train_y2h

    device = _setup(args)
    regressor, payload = load_regressor(args.regressor)
    _, temps = _data(args.files)
    labels = normalise_labels(temps, payload["t_range"])
    t0 = time.perf_counter()
    y2h, losses = train_y2h(regressor, labels, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed, device=device, progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    save_y2h(args.out, y2h.cpu(), payload["t_range"], losses, epochs=args.epochs, seed=args.seed)  # no wall clock
    print(f"y2h epochs={args.epochs} mse_first={losses[0]:.6g} mse_last={losses[-1]:.6g} seconds={seconds:.2f}")
    return 0
