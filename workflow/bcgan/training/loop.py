"""GAN training loop shared by all five variants (SAGAN: one D step then one G step per iteration).

Why one loop: the variants differ only in their conditioning (bcgan.nets.models) and in the
discriminator loss their spec names (``VariantSpec.loss``: hinge, or CcGAN's vicinal one, bcgan.nets.losses);
everything else -- optimiser, data, logging, checkpointing -- must be identical so the comparison of the
paper is fair.

Determinism and resume: the dataset order, the noise z and the vicinal draws of epoch ``e`` come
only from ``(seed, e)`` (a torch.Generator and a numpy Generator seeded with both), so a run that is
killed and resumed from the checkpoint of the last finished epoch (``bcgan.training.resume``) ends
bit-identical (on CPU) to an uninterrupted one. The checkpoint also holds the global RNG states, for
anything that might draw from them.

Precision (``bcgan.nets.precision``): fp32 or bf16 autocast, channels-last on CPU (and with bf16 on
CUDA). No ``torch.compile``: on CPU it took 3-4 minutes to compile mini's G and D and then ran at
1.1x eager bf16 and below eager channels-last fp32; on CUDA it was never measured
(docs/development.md). The dataset sits on the device as uint8 and each batch is converted there.
Losses stay on the device until the end of an epoch (one host sync per epoch, not four per
iteration); a non-finite loss is found then and stops the job before the checkpoint.

Progress (``bcgan.training.progress``): every ``eval_every`` iterations and after the last one, G and the
moving average of its weights (``bcgan.training.ema``, never fed back into training) are evaluated on a fixed
set with physics metrics; the rows are kept in the checkpoint like the losses.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from bcgan.errors import UserError
from bcgan.io import atomic_path
from bcgan.nets.losses import (
    hinge_d_loss,
    hinge_g_loss,
    insensitive_l1,
    mode_seeking_loss,
    sample_vicinal_batch,
    vicinal_d_loss,
)
from bcgan.nets.models import build_discriminator, build_generator, variant_spec
from bcgan.nets.precision import autocast, check_precision, memory_format
from bcgan.training.ema import average_copy, check_decay, with_standing_statistics
from bcgan.training.ema import update as update_average
from bcgan.training.resume import (
    TrainState,
    data_fingerprint,
    load_checkpoint,
    restore_checkpoint,
    save_checkpoint,
    weights_digest,
)

log = logging.getLogger(__name__)

LOSS_COLUMNS = ["iteration", "epoch", "d_loss", "g_loss", "d_real", "d_fake"]  # no wall clock: reproducible


# --------------------------------------------------------------------------------------------
# Small helpers shared with bcgan.training.pretrain
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
    vicinity: str = "soft"          # vicinal-loss arms only (VariantSpec.loss): SVDL (soft) or HVDL (hard)
    kappa_multiplier: float = 1.0   # vicinal-loss arms only
    precision: str = "fp32"         # fp32 | bf16 (bcgan.nets.precision)
    ema_decay: float = 0.999        # the weight average evaluated beside G (bcgan.training.ema)
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
    G_ema: torch.nn.Module  # G's weight average (bcgan.training.ema), with standing statistics when evaluated


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
def d_step(G, D, opt_d, x_real, z, g_labels, d_labels, vicinal_weights=None, precision: str = "fp32",
           aux_epsilon: float | None = None):
    """One discriminator update; returns (d_loss, real_logits, fake_logits) (detached logits).

    Fakes are G(z, g_labels); D judges real and fake at ``d_labels`` (vicinal loss: the targets y*,
    with SVDL/HVDL weights ``vicinal_weights`` = (w_real, w_fake); otherwise the plain hinge loss).
    Real and fake go through D in one pass, as in BigGAN: D has no batch statistics, so the logits
    are those of two passes, but spectral norm's power iteration runs once per D step, not twice.
    ``aux_epsilon`` (VariantSpec.aux_epsilon): D's regression head learns the real images' labels with the
    ε-insensitive L1 loss; it never learns from fakes.
    """
    batch = x_real.shape[0]
    with autocast(x_real.device, precision):
        with torch.no_grad():
            x_fake = G(z, g_labels).to(x_real.dtype)
        both = torch.cat([x_real, x_fake]).contiguous(memory_format=memory_format(precision, x_real.device))
        labels = torch.cat([d_labels, d_labels])
        if aux_epsilon is None:
            logits = D(both, labels).float()
        else:
            logits, estimate = D(both, labels, regress=True)
            logits = logits.float()
        real_logits, fake_logits = logits[:batch], logits[batch:]
        if vicinal_weights is not None:
            d_loss = vicinal_d_loss(real_logits, fake_logits, *vicinal_weights)
        else:
            d_loss = hinge_d_loss(real_logits, fake_logits)
        if aux_epsilon is not None:
            d_loss = d_loss + insensitive_l1(estimate[:batch], d_labels, aux_epsilon)
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    return d_loss.detach(), real_logits.detach(), fake_logits.detach()


def g_step(G, D, opt_g, z, labels, precision: str = "fp32", mode_seeking: float = 0.0,
           aux_epsilon: float | None = None):
    """One generator update with the hinge G loss -mean D(G(z, y), y); returns the loss (detached).

    D's weights are frozen for the step: the backward pass then skips D's weight gradients, which
    no optimiser would use (the next d_step clears D's gradients), and computes only those that
    flow through D to G; G's gradients are the same.

    mode_seeking > 0 (VariantSpec.mode_seeking): the second half of the batch repeats the first half's
    labels with its own noise, and the mode-seeking term between the two halves joins the loss.
    aux_epsilon: D's regression head's ε-insensitive L1 error on the fakes joins the loss (weight 1).
    """
    half = z.shape[0] // 2
    if mode_seeking:
        labels = torch.cat([labels[:half], labels[:half], labels[2 * half:]])
    frozen = [p for p in D.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        with autocast(z.device, precision):
            fake = G(z, labels)
            if aux_epsilon is None:
                g_loss = hinge_g_loss(D(fake, labels).float())
            else:
                logits, estimate = D(fake, labels, regress=True)
                g_loss = hinge_g_loss(logits.float()) + insensitive_l1(estimate, labels, aux_epsilon)
            if mode_seeking:
                g_loss = g_loss + mode_seeking * mode_seeking_loss(fake[:half], fake[half:2 * half],
                                                                   z[:half], z[half:2 * half])
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    opt_g.step()
    return g_loss.detach()


def build_models(cfg: TrainConfig, image_size: int, y2h=None):
    """G and D initialised from ``cfg.seed`` alone (the same weights in every run of a config)."""
    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.variant, image_size, cfg.g_channels, cfg.z_dim, cfg.t_range, y2h=y2h)
    D = build_discriminator(cfg.variant, image_size, cfg.d_channels, cfg.t_range, y2h=y2h)
    return G, D


def new_state(cfg: TrainConfig, image_size: int, y2h, device: torch.device, fmt) -> TrainState:
    """G, D, their optimisers and G's weight average, on the device, before any step."""
    G, D = build_models(cfg, image_size, y2h)
    log.info("initial weights: G %s, D %s; %d torch threads, CPU capability %s", weights_digest(G), weights_digest(D),
             torch.get_num_threads(), torch.backends.cpu.get_cpu_capability())
    G.to(device, memory_format=fmt)
    D.to(device, memory_format=fmt)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    # the frozen y2h (ccgan) sits inside G and D with requires_grad False: not optimised
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=cfg.lr, betas=tuple(cfg.betas))
    opt_d = torch.optim.Adam([p for p in D.parameters() if p.requires_grad], lr=cfg.lr, betas=tuple(cfg.betas))
    return TrainState(G, D, average_copy(G), opt_g, opt_d)


@dataclass
class Batches:
    """The training data on the device and how an iteration draws from it (plain or vicinal)."""

    images: torch.Tensor        # (N, L, L) uint8
    labels: torch.Tensor        # (N,) in the variant's label domain
    batch_size: int
    z_dim: int
    channels_last: bool
    vicinity: tuple | None = None  # vicinal loss: (training labels float64, sigma, kappa, kind, label bounds)

    def draw(self, i: int, perm, gen: torch.Generator, rng: np.random.Generator):
        """Iteration i of an epoch: (x_real, d_labels, g_labels, vicinal weights or None, z_d, z_g)."""
        device, B = self.images.device, self.batch_size
        if self.vicinity is not None:
            train_y, sigma, kappa, kind, bounds = self.vicinity
            vb = sample_vicinal_batch(train_y, B, sigma, kappa, rng, kind=kind, bounds=bounds)
            real = self.images[torch.from_numpy(vb.real_index).to(device)]
            d_labels = torch.from_numpy(vb.target_labels).to(device)
            g_labels = torch.from_numpy(vb.fake_labels).to(device)
            weights = (torch.from_numpy(vb.real_weights).to(device, torch.float32),
                       torch.from_numpy(vb.fake_weights).to(device, torch.float32))
        else:
            idx = perm[i * B:(i + 1) * B]
            real = self.images[idx]
            d_labels = g_labels = self.labels[idx]
            weights = None
        x_real = to_float_images(real, channels_last=self.channels_last)
        z_d = torch.randn(B, self.z_dim, generator=gen, device=device)
        z_g = torch.randn(B, self.z_dim, generator=gen, device=device)
        return x_real, d_labels, g_labels, weights, z_d, z_g


def batches_on(device, images: np.ndarray, temperatures: np.ndarray, G, cfg: TrainConfig, fmt) -> Batches:
    """The data once on the device as uint8, the labels once in the variant's domain.

    An arm with the vicinal loss (``VariantSpec.loss``) gets CcGAN's sigma and kappa computed by CcGAN's
    rule on its own labels: normalised ones for ccgan, raw temperatures for the bits arms. The rule
    (Silverman's 1.06 std n^-1/5, the largest gap between distinct labels) scales with the labels, so in
    raw units sigma_raw = sigma_norm (t_max - t_min), kappa_base likewise and the soft kappa by
    (t_max - t_min)^-2: every pair gets CcGAN's weight, the noise is CcGAN's noise in kelvin-like units,
    and the labels G and D see stay unnormalised (tests/test_encodings.py checks the scaling).
    """
    labels = G.labels(torch.from_numpy(temperatures)).to(device)
    vicinity = None
    if variant_spec(cfg.variant).loss == "vicinal":
        from bcgan.nets.ccgan import vicinity_parameters

        train_y = labels.cpu().numpy().astype(np.float64)
        sigma, kappa = vicinity_parameters(train_y, cfg.vicinity, cfg.kappa_multiplier)
        log.info("%s vicinity %s: sigma=%.4g kappa=%.4g in label units", cfg.variant, cfg.vicinity, sigma, kappa)
        vicinity = (train_y, sigma, kappa, cfg.vicinity, G.label_bounds())
    return Batches(torch.from_numpy(images).to(device), labels, int(cfg.batch_size), cfg.z_dim,
                   fmt == torch.channels_last, vicinity)


def grouped_permutation(labels: torch.Tensor, group: int, gen: torch.Generator) -> torch.Tensor:
    """An epoch's order of the images in which every ``group`` consecutive ones share a label: each label's
    images shuffled and cut into whole groups (a label's last few images sit this epoch out), then the
    groups shuffled; from ``gen`` alone (VariantSpec.d_mbstd_group)."""
    _, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    order = torch.argsort(inverse, stable=True)
    groups, start = [], 0
    for count in counts.tolist():
        mine = order[start:start + count][torch.randperm(count, generator=gen, device=labels.device)]
        groups.append(mine[:count // group * group].reshape(-1, group))
        start += count
    groups = torch.cat(groups)
    return groups[torch.randperm(groups.shape[0], generator=gen, device=labels.device)].reshape(-1)


def grouped_epoch_length(labels: torch.Tensor, group: int, batch_size: int) -> int:
    """Iterations per epoch of :func:`grouped_permutation`'s order; labels that never repeat are a UserError."""
    if batch_size % group:
        raise UserError(f"batch_size {batch_size} is not a whole number of label groups of {group}")
    whole = int((torch.unique(labels, return_counts=True)[1] // group).sum()) * group
    if whole < batch_size:
        raise UserError(f"label groups of {group}: the labels repeat too rarely for one batch of {batch_size} "
                        "(use a label set whose labels repeat, e.g. grid:100)")
    return whole // batch_size


def train_step(state: TrainState, batch, ema_decay: float, precision: str, mode_seeking: float = 0.0,
               aux_epsilon: float | None = None) -> torch.Tensor:
    """One iteration: a D step, a G step at the D labels (vicinal loss: the noisy targets y*, as in Ding
    et al.) and the weight-average update; returns (d_loss, g_loss, mean D(real), mean D(fake)) on
    the device, without a host sync."""
    x_real, d_labels, g_labels, weights, z_d, z_g = batch
    d_loss, real_logits, fake_logits = d_step(state.G, state.D, state.opt_d, x_real, z_d, g_labels, d_labels,
                                              weights, precision, aux_epsilon)
    g_loss = g_step(state.G, state.D, state.opt_g, z_g, d_labels, precision, mode_seeking, aux_epsilon)
    update_average(state.G_ema, state.G, ema_decay, state.iteration)
    state.iteration += 1
    return torch.stack([d_loss, g_loss, real_logits.mean(), fake_logits.mean()])


def evaluate_progress(state: TrainState, eval_set, cfg: TrainConfig, device, precision: str) -> None:
    """Progress rows of G and of its weight average (with standing statistics) at this iteration."""
    from bcgan.training.progress import evaluate

    average = with_standing_statistics(state.G_ema, eval_set.temperature, eval_set.noise_seed, device=device,
                                       precision=precision)
    for model, rows, name in ((state.G, state.progress, "G"), (average, state.progress_ema, "EMA")):
        row = evaluate(model, eval_set, device=device, precision=precision)
        rows.append({"iteration": state.iteration, "images_seen": state.iteration * cfg.batch_size, **row})
        log.info("%s progress of %s at iteration %d: %s", cfg.variant, name, state.iteration,
                 " ".join(f"{k}={v:.4g}" for k, v in row.items()))


def loss_rows(losses: list, state: TrainState, cfg: TrainConfig, checkpoint) -> list:
    """The epoch's loss rows after its one host sync; a non-finite loss is a UserError (the last good
    checkpoint is kept)."""
    if not losses:
        return []
    values = torch.stack(losses).double().cpu().tolist()
    first = state.iteration - len(values) + 1
    for k, v in enumerate(values):
        if not all(math.isfinite(x) for x in v[:2]):
            where = f"(last good checkpoint {checkpoint} kept)" if checkpoint is not None else ""
            raise UserError(f"variant {cfg.variant}: loss became non-finite (d_loss={v[0]}, g_loss={v[1]})"
                            f" at epoch {state.epoch + 1}, iteration {first + k} {where}".rstrip())
    return [[first + k, state.epoch + 1, *v] for k, v in enumerate(values)]


def _validated(images, temperatures, cfg: TrainConfig, eval_every: int):
    images = np.ascontiguousarray(images, dtype=np.uint8)
    temperatures = np.asarray(temperatures, dtype=np.float32).reshape(-1)
    if images.ndim != 3 or images.shape[0] != temperatures.shape[0]:
        raise UserError(f"images {images.shape} and temperatures {temperatures.shape} do not match")
    if images.shape[0] < int(cfg.batch_size):
        raise UserError(f"batch_size {int(cfg.batch_size)} exceeds the {images.shape[0]} training images")
    if eval_every < 0:
        raise UserError(f"eval_every must be >= 0, got {eval_every}")
    return images, temperatures


class RunTimer:
    """Wall time of this run (the checkpoint adds earlier runs'), and the share spent in evaluation."""

    def __init__(self, state: TrainState):
        self.prior_seconds, self.start_iteration, self.eval_seconds = state.seconds, state.iteration, 0.0
        self.t0 = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def images_per_s(self, state: TrainState, batch_size: int) -> float:
        new, run = state.iteration - self.start_iteration, self.seconds()
        return new * batch_size / run if new and run > 0 else 0.0

    @contextlib.contextmanager
    def evaluating(self):
        started = time.perf_counter()
        yield
        self.eval_seconds += time.perf_counter() - started


def train_gan(images: np.ndarray, temperatures: np.ndarray, cfg: TrainConfig, *, checkpoint=None, y2h=None,
              device: str | torch.device = "cpu", progress: bool = True,
              eval_set=None, eval_every: int = 0):
    """Train G and D; returns (G, D, TrainResult). Resumes from ``checkpoint`` if it exists.

    images uint8 (N, L, L) 0/255; temperatures float32 (N,). ``checkpoint`` is rewritten after
    every finished epoch whose losses were all finite; a NaN/inf loss raises UserError and leaves
    the last good checkpoint untouched. With an ``eval_set`` (bcgan.training.progress.EvalSet), G is
    evaluated every ``eval_every`` iterations (0 = only at the end) and after the last iteration;
    the rows are ``TrainResult.progress``, those of G's weight average ``TrainResult.progress_ema``.
    """
    device = torch.device(device)
    images, temperatures = _validated(images, temperatures, cfg, eval_every)
    precision = check_precision(cfg.precision)
    fmt, ema_decay = memory_format(precision, device), check_decay(cfg.ema_decay)
    state = new_state(cfg, images.shape[1], y2h, device, fmt)
    fingerprint = data_fingerprint(images, temperatures, y2h)
    if checkpoint is not None and (ck := load_checkpoint(checkpoint, cfg, fingerprint)) is not None:
        restore_checkpoint(state, ck, cuda=device.type == "cuda")
        log.info("resuming %s from %s: %d epochs, %d iterations done", cfg.variant, checkpoint, state.epoch,
                 state.iteration)
    data = batches_on(device, images, temperatures, state.G, cfg, fmt)
    spec = variant_spec(cfg.variant)
    group = spec.d_mbstd_group
    # drop the last partial batch: BN and the D loss see full batches
    per_epoch = (grouped_epoch_length(data.labels, group, data.batch_size) if group
                 else images.shape[0] // data.batch_size)
    total = per_epoch * cfg.epochs
    timer = RunTimer(state)

    def evaluate_now():
        with timer.evaluating():
            evaluate_progress(state, eval_set, cfg, device, precision)

    state.G.train()
    state.D.train()
    for epoch in range(state.epoch, cfg.epochs):
        gen = torch.Generator(device=device)
        gen.manual_seed(epoch_seed(cfg.seed, epoch, 0))
        rng = np.random.default_rng(epoch_seed(cfg.seed, epoch, 1))
        perm = (grouped_permutation(data.labels, group, gen) if group
                else torch.randperm(images.shape[0], generator=gen, device=device))
        losses = []
        for i in tqdm(range(per_epoch), desc=f"{cfg.variant} epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                      leave=False, dynamic_ncols=True):
            losses.append(train_step(state, data.draw(i, perm, gen, rng), ema_decay, precision, spec.mode_seeking,
                                     spec.aux_epsilon))
            if eval_set is not None and eval_every and state.iteration % eval_every == 0 and state.iteration < total:
                evaluate_now()
        rows = loss_rows(losses, state, cfg, checkpoint)
        if eval_set is not None and state.iteration == total and epoch + 1 == cfg.epochs:
            evaluate_now()
        state.rows.extend(rows)
        state.epoch, state.seconds = epoch + 1, timer.prior_seconds + timer.seconds()
        if checkpoint is not None:
            save_checkpoint(checkpoint, state, cfg, fingerprint, rng.bit_generator.state)
        last = rows[-1] if rows else [float("nan")] * 4
        log.info("%s epoch %d/%d: iteration %d d_loss %.4f g_loss %.4f, %.1f images/s so far", cfg.variant, epoch + 1,
                 cfg.epochs, state.iteration, last[2], last[3], timer.images_per_s(state, data.batch_size))

    run_seconds, images_per_s = timer.seconds(), timer.images_per_s(state, data.batch_size)
    if eval_set is not None and run_seconds > 0:
        log.info("%s: progress evaluation took %.1f s of this run's %.1f s (%.1f %%)", cfg.variant, timer.eval_seconds,
                 run_seconds, 100 * timer.eval_seconds / run_seconds)
    for model in (state.G, state.D, state.G_ema):
        model.eval()
    G_ema = state.G_ema
    if eval_set is not None:
        if not state.progress or state.progress[-1]["iteration"] != state.iteration:
            evaluate_now()  # a run resumed after its last epoch, or one whose checkpoint predates progress rows
        G_ema = with_standing_statistics(G_ema, eval_set.temperature, eval_set.noise_seed, device=device,
                                         precision=precision)  # saved as the progress evaluation saw it
    return state.G, state.D, TrainResult(cfg.epochs, state.iteration, timer.prior_seconds + run_seconds, images_per_s,
                                         state.rows, state.progress, state.progress_ema, G_ema)
