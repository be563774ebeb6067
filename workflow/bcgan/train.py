"""GAN training loop shared by all five variants (SAGAN: one D step then one G step per iteration).

Why one loop: the variants differ only in their conditioning (bcgan.models) and, for CcGAN, in the
discriminator loss (vicinal, bcgan.losses); everything else -- optimiser, data, logging,
checkpointing -- must be identical so the comparison of the paper is fair.

Determinism and resume: the dataset order, the noise z and the vicinal draws of epoch ``e`` come
only from ``(seed, e)`` (a torch.Generator and a numpy Generator seeded with both), so a run that is
killed and resumed from the checkpoint of the last finished epoch ends bit-identical (on CPU) to an
uninterrupted one. The checkpoint also holds the global RNG states, for anything that might draw
from them.

Precision (``bcgan.precision``): fp32 or bf16 autocast, channels-last on CPU (and with bf16 on
CUDA). No ``torch.compile``: on CPU it took 3-4 minutes to compile mini's G and D and then ran at
1.1x eager bf16 and below eager channels-last fp32; on CUDA it was never measured
(docs/development.md). The dataset sits on the device as uint8 and each batch is converted there. Losses stay on the device until the end of an epoch (one host sync per epoch, not
four per iteration); a non-finite loss is found then and stops the job before the checkpoint.

Progress (``bcgan.progress``): every ``eval_every`` iterations and after the last one, G and the
moving average of its weights (``bcgan.ema``, never fed back into training) are evaluated on a fixed
set with physics metrics; the rows are kept in the checkpoint like the losses.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from bcgan.ema import average_copy, check_decay, with_standing_statistics
from bcgan.ema import update as update_average
from bcgan.errors import UserError
from bcgan.io import atomic_path, save_torch
from bcgan.losses import hinge_d_loss, hinge_g_loss, sample_vicinal_batch, vicinal_d_loss
from bcgan.models import build_discriminator, build_generator, variant_spec
from bcgan.precision import autocast, check_precision, memory_format

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "bcgan-train-checkpoint/1"
LOSS_COLUMNS = ["iteration", "epoch", "d_loss", "g_loss", "d_real", "d_fake"]  # no wall clock: reproducible


# --------------------------------------------------------------------------------------------
# Small helpers shared with bcgan.pretrain
# --------------------------------------------------------------------------------------------
def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda when available else cpu; 'cuda' without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device available (use --device auto or cpu)")
    if name not in ("cpu", "cuda"):
        raise UserError(f"--device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def to_float_images(images_u8: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """(B, L, L) uint8 0/255 -> (B, 1, L, L) float32 in [-1, 1] (0 -> -1, 255 -> +1)."""
    x = images_u8.unsqueeze(1).to(torch.float32) / 127.5 - 1.0
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def epoch_seed(seed: int, epoch: int, stream: int = 0) -> int:
    """A 63-bit seed that depends only on (seed, epoch, stream): the per-epoch randomness."""
    return int(np.random.SeedSequence([int(seed), int(epoch), int(stream)]).generate_state(1, np.uint64)[0]) >> 1


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------
@dataclass
class TrainConfig:
    """Everything that defines a training run (stored in the checkpoint to refuse a foreign resume)."""

    variant: str
    g_channels: int
    d_channels: int
    z_dim: int
    t_range: tuple[float, float]
    epochs: int = 100
    batch_size: int = 200
    lr: float = 1e-4
    betas: tuple[float, float] = (0.0, 0.99)
    seed: int = 0
    vicinity: str = "soft"          # ccgan only: SVDL (soft) or HVDL (hard)
    kappa_multiplier: float = 1.0   # ccgan only
    precision: str = "fp32"         # fp32 | bf16 (bcgan.precision)
    ema_decay: float = 0.999        # the weight average evaluated beside G (bcgan.ema)
    # the training step's version: 2 = one D pass for real and fake, D frozen in the G step (d_step,
    # g_step); a checkpoint of another version (none recorded = 1, two D passes) is not resumed
    step_version: int = 2

    def identity(self) -> dict:
        """The fields a resumed run must share with the checkpoint (epochs may grow)."""
        d = asdict(self)
        d.pop("epochs")
        d["t_range"] = [float(v) for v in d["t_range"]]
        d["betas"] = [float(v) for v in d["betas"]]
        return d


@dataclass
class TrainResult:
    epochs: int
    iterations: int
    seconds: float
    images_per_s: float
    rows: list
    progress: list
    progress_ema: list
    G_ema: torch.nn.Module  # the moving average of G's weights, with standing statistics when evaluated (bcgan.ema)


# --------------------------------------------------------------------------------------------
# Checkpoint
# --------------------------------------------------------------------------------------------
def data_fingerprint(images: np.ndarray, temperatures: np.ndarray, y2h=None) -> str:
    """SHA-256 of what a run trains on (images, labels, CcGAN's pretrained y2h): a checkpoint of
    other data must never be resumed, even when every setting is the same."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(temperatures).tobytes())
    if y2h is not None:
        _hash_state(digest, y2h)
    return digest.hexdigest()


def _hash_state(digest, module: torch.nn.Module) -> None:
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())


def save_checkpoint(path, G, D, opt_g, opt_d, epoch: int, iteration: int, rows: list, cfg: TrainConfig,
                    np_state: dict | None, seconds: float, fingerprint: str, progress_rows: list,
                    G_ema, progress_ema_rows: list) -> None:
    """Everything needed to continue after ``epoch`` finished epochs; written atomically."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.identity(),
        "data": fingerprint,
        "epoch": int(epoch),
        "iteration": int(iteration),
        "seconds": float(seconds),
        "G": G.state_dict(),
        "D": D.state_dict(),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "rng_torch": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "rng_numpy": np_state,
        "rng_python": random.getstate(),
        "rows": rows,
        "progress": progress_rows,
        "G_ema": G_ema.state_dict(),
        "progress_ema": progress_ema_rows,
    }
    save_torch(payload, path)


def _stale(ck: dict, cfg: TrainConfig, fingerprint: str) -> list[str]:
    """What keeps ``cfg`` from resuming checkpoint ``ck``: differing settings, data, too many epochs."""
    stale = sorted(k for k in cfg.identity() if ck["config"].get(k) != cfg.identity()[k])
    if ck.get("data") != fingerprint:
        stale.append("training data")
    if ck["epoch"] > cfg.epochs:
        stale.append(f"epochs ({ck['epoch']} done > {cfg.epochs} wanted)")
    return stale


def resumable_precision(path, cfg: TrainConfig, fingerprint: str) -> str | None:
    """The precision of the checkpoint at ``path`` if ``cfg`` in that precision would resume it (all
    other settings and the data the same), else None: ``auto`` keeps a resumed run's precision."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return None  # load_checkpoint reports it
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        return None
    precision = ck["config"].get("precision")
    if precision not in ("fp32", "bf16") or _stale(ck, replace(cfg, precision=precision), fingerprint):
        return None
    return precision


def load_checkpoint(path, cfg: TrainConfig, fingerprint: str) -> dict | None:
    """The checkpoint at ``path`` if this run may resume from it, else None (train from scratch).

    Resuming needs the same settings (all but ``epochs``), the same data and at most ``cfg.epochs``
    finished epochs; otherwise the checkpoint is stale (Snakemake reran the job because something
    changed) and is ignored, to be overwritten after the first new epoch. A file that is not a
    training checkpoint at all is a UserError.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UserError(f"{path}: unreadable training checkpoint ({type(exc).__name__}); delete it to restart") from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"{path}: not a bcgan training checkpoint; delete it to restart")
    stale = _stale(ck, cfg, fingerprint)
    if stale:
        log.warning("%s: not resuming, the checkpoint differs in %s; training from scratch", path, ", ".join(stale))
        return None
    return ck


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------
def write_losses_csv(path, rows) -> None:
    """Per-iteration losses; floats written with repr so the file round-trips exactly."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LOSS_COLUMNS)
        for r in rows:
            w.writerow([int(r[0]), int(r[1])] + [repr(float(v)) for v in r[2:]])


def read_losses_csv(path) -> list[list]:
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != LOSS_COLUMNS:
            raise UserError(f"{path}: not a losses CSV (columns {header})")
        return [[int(r[0]), int(r[1])] + [float(v) for v in r[2:]] for r in reader]


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------
def d_step(G, D, opt_d, x_real, z, g_labels, d_labels, vicinal_weights=None, precision: str = "fp32"):
    """One discriminator update; returns (d_loss, real_logits, fake_logits) (detached logits).

    Fakes are G(z, g_labels); D judges real and fake at ``d_labels`` (for ccgan the targets y*,
    with SVDL/HVDL weights ``vicinal_weights`` = (w_real, w_fake); otherwise the plain hinge loss).
    Real and fake go through D in one pass, as in BigGAN: D has no batch statistics, so the logits
    are those of two passes, but spectral norm's power iteration runs once per D step, not twice.
    """
    batch = x_real.shape[0]
    with autocast(x_real.device, precision):
        with torch.no_grad():
            x_fake = G(z, g_labels).to(x_real.dtype)
        both = torch.cat([x_real, x_fake]).contiguous(memory_format=memory_format(precision, x_real.device))
        logits = D(both, torch.cat([d_labels, d_labels])).float()
        real_logits, fake_logits = logits[:batch], logits[batch:]
        if vicinal_weights is not None:
            d_loss = vicinal_d_loss(real_logits, fake_logits, *vicinal_weights)
        else:
            d_loss = hinge_d_loss(real_logits, fake_logits)
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    return d_loss.detach(), real_logits.detach(), fake_logits.detach()


def g_step(G, D, opt_g, z, labels, precision: str = "fp32"):
    """One generator update with the hinge G loss -mean D(G(z, y), y); returns the loss (detached).

    D's weights are frozen for the step: the backward pass then skips D's weight gradients, which
    no optimiser would use (the next d_step clears D's gradients), and computes only those that
    flow through D to G; G's gradients are the same.
    """
    frozen = [p for p in D.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        with autocast(z.device, precision):
            g_loss = hinge_g_loss(D(G(z, labels), labels).float())
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    opt_g.step()
    return g_loss.detach()


def weights_digest(module: torch.nn.Module) -> str:
    """Short SHA-256 of a module's state: two runs that differ can be told apart from the start."""
    digest = hashlib.sha256()
    _hash_state(digest, module)
    return digest.hexdigest()[:12]


def build_models(cfg: TrainConfig, image_size: int, y2h=None):
    """G and D initialised from ``cfg.seed`` alone (the same weights in every run of a config)."""
    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.variant, image_size, cfg.g_channels, cfg.z_dim, cfg.t_range, y2h=y2h)
    D = build_discriminator(cfg.variant, image_size, cfg.d_channels, cfg.t_range, y2h=y2h)
    return G, D


def train_gan(images: np.ndarray, temperatures: np.ndarray, cfg: TrainConfig, *, checkpoint=None, y2h=None,
              device: str | torch.device = "cpu", progress: bool = True,
              eval_set=None, eval_every: int = 0):
    """Train G and D; returns (G, D, TrainResult). Resumes from ``checkpoint`` if it exists.

    images uint8 (N, L, L) 0/255; temperatures float32 (N,). ``checkpoint`` is rewritten after
    every finished epoch whose losses were all finite; a NaN/inf loss raises UserError and leaves
    the last good checkpoint untouched. With an ``eval_set`` (bcgan.progress.EvalSet), G is
    evaluated every ``eval_every`` iterations (0 = only at the end) and after the last iteration;
    the rows are ``TrainResult.progress``, those of G's weight average ``TrainResult.progress_ema``.
    """
    device = torch.device(device) if not isinstance(device, torch.device) else device
    images = np.ascontiguousarray(images, dtype=np.uint8)
    temperatures = np.asarray(temperatures, dtype=np.float32).reshape(-1)
    if images.ndim != 3 or images.shape[0] != temperatures.shape[0]:
        raise UserError(f"images {images.shape} and temperatures {temperatures.shape} do not match")
    n, L = images.shape[0], images.shape[1]
    B = int(cfg.batch_size)
    if n < B:
        raise UserError(f"batch_size {B} exceeds the {n} training images")
    if eval_every < 0:
        raise UserError(f"eval_every must be >= 0, got {eval_every}")
    spec = variant_spec(cfg.variant)
    vicinal = spec.kind == "ccgan"
    precision = check_precision(cfg.precision)
    fmt = memory_format(precision, device)
    ema_decay = check_decay(cfg.ema_decay)

    G, D = build_models(cfg, L, y2h)
    log.info("initial weights: G %s, D %s; %d torch threads, CPU capability %s", weights_digest(G), weights_digest(D),
             torch.get_num_threads(), torch.backends.cpu.get_cpu_capability())
    cuda = device.type == "cuda"
    G.to(device, memory_format=fmt)
    D.to(device, memory_format=fmt)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    # the frozen y2h (ccgan) sits inside G and D with requires_grad False: not optimised
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=cfg.lr, betas=tuple(cfg.betas))
    opt_d = torch.optim.Adam([p for p in D.parameters() if p.requires_grad], lr=cfg.lr, betas=tuple(cfg.betas))

    G_ema = average_copy(G)
    start_epoch, iteration, rows, progress_rows, progress_ema_rows, prior_seconds = 0, 0, [], [], [], 0.0
    fingerprint = data_fingerprint(images, temperatures, y2h)
    ck = load_checkpoint(checkpoint, cfg, fingerprint) if checkpoint is not None else None
    if ck is not None:
        G.load_state_dict(ck["G"])
        D.load_state_dict(ck["D"])
        G_ema.load_state_dict(ck["G_ema"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        torch.set_rng_state(ck["rng_torch"])
        if cuda and ck["rng_cuda"]:
            torch.cuda.set_rng_state_all(ck["rng_cuda"])
        random.setstate(ck["rng_python"])
        start_epoch, iteration, rows = ck["epoch"], ck["iteration"], list(ck["rows"])
        progress_rows = list(ck["progress"])
        progress_ema_rows = list(ck["progress_ema"])
        prior_seconds = ck["seconds"]
        log.info("resuming %s from %s: %d epochs, %d iterations done", cfg.variant, checkpoint, start_epoch, iteration)

    # data once on the device as uint8; labels once in the variant's domain
    images_dev = torch.from_numpy(images).to(device)
    labels_dev = G.labels(torch.from_numpy(temperatures)).to(device)
    if vicinal:
        from bcgan.ccgan import vicinity_parameters

        train_y = labels_dev.cpu().numpy().astype(np.float64)
        sigma, kappa = vicinity_parameters(train_y, cfg.vicinity, cfg.kappa_multiplier)
        log.info("ccgan vicinity %s: sigma=%.4g kappa=%.4g", cfg.vicinity, sigma, kappa)

    per_epoch = n // B  # drop the last partial batch: BatchNorm and the D loss see full batches
    total_iterations = per_epoch * cfg.epochs

    eval_seconds = [0.0]

    def evaluate_now():
        from bcgan.progress import evaluate

        started = time.perf_counter()
        average = with_standing_statistics(G_ema, eval_set.temperature, eval_set.noise_seed, device=device,
                                           precision=precision)
        for model, rows_of, name in ((G, progress_rows, "G"), (average, progress_ema_rows, "EMA")):
            row = evaluate(model, eval_set, device=device, precision=precision)
            rows_of.append({"iteration": iteration, "images_seen": iteration * B, **row})
            log.info("%s progress of %s at iteration %d: %s", cfg.variant, name, iteration,
                     " ".join(f"{k}={v:.4g}" for k, v in row.items()))
        eval_seconds[0] += time.perf_counter() - started

    G.train()
    D.train()
    np_state = None
    t0 = time.perf_counter()
    new_iterations = 0
    for epoch in range(start_epoch, cfg.epochs):
        gen = torch.Generator(device=device)
        gen.manual_seed(epoch_seed(cfg.seed, epoch, 0))
        rng = np.random.default_rng(epoch_seed(cfg.seed, epoch, 1))
        perm = torch.randperm(n, generator=gen, device=device)
        epoch_losses = []
        bar = tqdm(range(per_epoch), desc=f"{cfg.variant} epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, dynamic_ncols=True)
        for i in bar:
            # ---- labels and real images of this iteration
            if vicinal:
                vb = sample_vicinal_batch(train_y, B, sigma, kappa, rng, kind=cfg.vicinity)
                real = images_dev[torch.from_numpy(vb.real_index).to(device)]
                d_labels = torch.from_numpy(vb.target_labels).to(device)
                g_labels = torch.from_numpy(vb.fake_labels).to(device)
                w_real = torch.from_numpy(vb.real_weights).to(device, torch.float32)
                w_fake = torch.from_numpy(vb.fake_weights).to(device, torch.float32)
            else:
                idx = perm[i * B:(i + 1) * B]
                real = images_dev[idx]
                d_labels = g_labels = labels_dev[idx]
            x_real = to_float_images(real, channels_last=fmt == torch.channels_last)
            z_d = torch.randn(B, cfg.z_dim, generator=gen, device=device)
            z_g = torch.randn(B, cfg.z_dim, generator=gen, device=device)
            d_loss, real_logits, fake_logits = d_step(G, D, opt_d, x_real, z_d, g_labels, d_labels,
                                                      (w_real, w_fake) if vicinal else None, precision)
            # G step at the D labels: for ccgan the noisy targets y*, as in Ding et al.
            g_loss = g_step(G, D, opt_g, z_g, d_labels, precision)
            update_average(G_ema, G, ema_decay, iteration)
            # ---- losses stay on the device: no host sync here
            iteration += 1
            new_iterations += 1
            epoch_losses.append(torch.stack([d_loss, g_loss, real_logits.mean(), fake_logits.mean()]))
            if eval_set is not None and eval_every and iteration % eval_every == 0 and iteration < total_iterations:
                evaluate_now()
        bar.close()
        epoch_rows = []
        if epoch_losses:
            values = torch.stack(epoch_losses).double().cpu().tolist()  # the one sync of the epoch
            for k, v in enumerate(values):
                if not all(math.isfinite(x) for x in v[:2]):
                    where = f"(last good checkpoint {checkpoint} kept)" if checkpoint is not None else ""
                    at = iteration - len(values) + k + 1
                    raise UserError(f"variant {cfg.variant}: loss became non-finite (d_loss={v[0]}, g_loss={v[1]})"
                                    f" at epoch {epoch + 1}, iteration {at} {where}".rstrip())
                epoch_rows.append([iteration - len(values) + k + 1, epoch + 1, *v])
        if eval_set is not None and iteration == total_iterations and epoch + 1 == cfg.epochs:
            evaluate_now()
        rows.extend(epoch_rows)
        np_state = rng.bit_generator.state
        seconds = prior_seconds + time.perf_counter() - t0
        if checkpoint is not None:
            save_checkpoint(checkpoint, G, D, opt_g, opt_d, epoch + 1, iteration, rows, cfg, np_state, seconds,
                            fingerprint, progress_rows, G_ema, progress_ema_rows)
        last = epoch_rows[-1] if epoch_rows else None
        log.info("%s epoch %d/%d: iteration %d d_loss %.4f g_loss %.4f, %.1f images/s so far", cfg.variant, epoch + 1,
                 cfg.epochs, iteration, last[2] if last else float("nan"), last[3] if last else float("nan"),
                 new_iterations * B / max(time.perf_counter() - t0, 1e-9))
    seconds = prior_seconds + time.perf_counter() - t0
    run_seconds = time.perf_counter() - t0
    if eval_set is not None and run_seconds > 0:
        log.info("%s: progress evaluation took %.1f s of this run's %.1f s (%.1f %%)", cfg.variant, eval_seconds[0],
                 run_seconds, 100 * eval_seconds[0] / run_seconds)
    ips = new_iterations * B / run_seconds if new_iterations and run_seconds > 0 else 0.0
    G.eval()
    D.eval()
    G_ema.eval()
    if eval_set is not None and (not progress_rows or progress_rows[-1]["iteration"] != iteration):
        evaluate_now()  # a run resumed after its last epoch, or one whose checkpoint predates progress rows
    if eval_set is not None:  # saved as the progress evaluation saw it
        G_ema = with_standing_statistics(G_ema, eval_set.temperature, eval_set.noise_seed, device=device,
                                         precision=precision)
    return G, D, TrainResult(cfg.epochs, iteration, seconds, ips, rows, progress_rows, progress_ema_rows, G_ema)
