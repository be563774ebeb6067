"""The training checkpoint: what a killed run needs to continue bit-identically, and when it may.

Why a separate file from the generator files (``bcgan.training.checkpoints``): this one holds D, both
optimisers, every random state and the rows written so far, and it is only ever read back by the
same training; a checkpoint of other settings, other data or another training step is stale and
ignored (Snakemake reran the job because something changed), never resumed.
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from bcgan.errors import UserError
from bcgan.io import save_torch

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "bcgan-train-checkpoint/1"


def data_fingerprint(images: np.ndarray, temperatures: np.ndarray, y2h=None) -> str:
    """SHA-256 of what a run trains on (images, labels, CcGAN's pretrained y2h): a checkpoint of
    other data must never be resumed, even when every setting is the same."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(temperatures).tobytes())
    if y2h is not None:
        hash_state(digest, y2h)
    return digest.hexdigest()


def hash_state(digest, module: torch.nn.Module) -> None:
    """Feed a module's state dict, key by key in sorted order, into ``digest``."""
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())


@dataclass
class TrainState:
    """What a checkpoint restores: the models, optimisers, counters and the rows written so far."""

    G: torch.nn.Module
    D: torch.nn.Module
    G_ema: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    epoch: int = 0            # finished epochs
    iteration: int = 0
    seconds: float = 0.0      # training time of the runs before this one
    rows: list = field(default_factory=list)          # losses, one per iteration
    progress: list = field(default_factory=list)      # progress rows of G
    progress_ema: list = field(default_factory=list)  # progress rows of G's weight average


def save_checkpoint(path, state: TrainState, cfg, fingerprint: str, np_state: dict | None) -> None:
    """Everything needed to continue after ``state.epoch`` finished epochs; written atomically."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.identity(),
        "data": fingerprint,
        "epoch": int(state.epoch),
        "iteration": int(state.iteration),
        "seconds": float(state.seconds),
        "G": state.G.state_dict(),
        "D": state.D.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng_torch": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "rng_numpy": np_state,
        "rng_python": random.getstate(),
        "rows": state.rows,
        "progress": state.progress,
        "G_ema": state.G_ema.state_dict(),
        "progress_ema": state.progress_ema,
    }
    save_torch(payload, path)


def restore_checkpoint(state: TrainState, ck: dict, cuda: bool) -> None:
    """Put a loaded checkpoint's models, optimisers, random states and rows into ``state`` (the CUDA
    random states only when training on CUDA)."""
    state.G.load_state_dict(ck["G"])
    state.D.load_state_dict(ck["D"])
    state.G_ema.load_state_dict(ck["G_ema"])
    state.opt_g.load_state_dict(ck["opt_g"])
    state.opt_d.load_state_dict(ck["opt_d"])
    torch.set_rng_state(ck["rng_torch"])
    if cuda and ck["rng_cuda"]:
        torch.cuda.set_rng_state_all(ck["rng_cuda"])
    random.setstate(ck["rng_python"])
    state.epoch, state.iteration, state.seconds = ck["epoch"], ck["iteration"], ck["seconds"]
    state.rows, state.progress, state.progress_ema = list(ck["rows"]), list(ck["progress"]), list(ck["progress_ema"])


def _stale(ck: dict, cfg, fingerprint: str) -> list[str]:
    """What keeps ``cfg`` from resuming checkpoint ``ck``: differing settings, data, too many epochs."""
    stale = sorted(k for k in cfg.identity() if ck["config"].get(k) != cfg.identity()[k])
    if ck.get("data") != fingerprint:
        stale.append("training data")
    if ck["epoch"] > cfg.epochs:
        stale.append(f"epochs ({ck['epoch']} done > {cfg.epochs} wanted)")
    return stale


def _finished(ck: dict, cfg) -> bool:
    """Whether ``ck`` ended this very training and its outputs were written (``mark_outputs_written``):
    then a rerun was asked for (``--forcerun``, outputs deleted), and it starts over; a run continued
    to more epochs still resumes."""
    return bool(ck.get("outputs_written")) and ck["epoch"] >= cfg.epochs


def mark_outputs_written(path) -> None:
    """Record in the checkpoint at ``path`` that the training's outputs were written from it."""
    ck = torch.load(path, map_location="cpu", weights_only=True)
    save_torch({**ck, "outputs_written": True}, path)


def resumable_precision(path, cfg, fingerprint: str) -> str | None:
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
    if _finished(ck, cfg):
        return None
    return precision


def load_checkpoint(path, cfg, fingerprint: str) -> dict | None:
    """The checkpoint at ``path`` if this run may resume from it, else None (train from scratch).

    Resuming needs the same settings (all but ``epochs``), the same data and at most ``cfg.epochs``
    finished epochs; otherwise the checkpoint is stale (Snakemake reran the job because something
    changed) and is ignored, to be overwritten after the first new epoch. So is the checkpoint of a
    training that finished and wrote its outputs (a forced rerun trains again; more epochs resume). A file that is not a
    training checkpoint at all, or the checkpoint of another variant (a foreign file, not a stale one),
    is a UserError, and the file is left alone.
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
    settings = ck.get("config") if isinstance(ck.get("config"), dict) else {}
    variant = settings.get("variant")
    if variant != cfg.variant:  # another model's checkpoint (a wrong path), not a stale one of this model
        raise UserError(f"{path}: a training checkpoint of {variant} (seed {settings.get('seed')}, "
                        f"{ck.get('epoch')} epochs), not of this {cfg.variant} training; not overwriting it: "
                        "give another --checkpoint or delete it")
    stale = _stale(ck, cfg, fingerprint)
    if stale:
        log.warning("%s: not resuming, the checkpoint differs in %s; training from scratch", path, ", ".join(stale))
        return None
    if _finished(ck, cfg):
        log.info("%s: this training finished and its outputs were written; rerun asked for: training from scratch",
                 path)
        return None
    return ck


def weights_digest(module: torch.nn.Module) -> str:
    """Short SHA-256 of a module's state: two runs that differ can be told apart from the start."""
    digest = hashlib.sha256()
    hash_state(digest, module)
    return digest.hexdigest()[:12]
