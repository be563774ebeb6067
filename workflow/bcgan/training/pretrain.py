"""CcGAN's label-embedding pretraining: ResNet34 regressor, then the y2h MLP (Ding et al.).

Why: CcGAN conditions G and D on ``y2h(y)``, a label embedding learned *before* the GAN. Two
steps, as in the official improved-CcGAN ``train_net_for_label_embed.py``:

1. ``train_regressor``: the ResNet34 (``bcgan.nets.ccgan.build_regressor``) learns image -> normalised
   label with an MSE loss. Its penultimate output ``features`` (x2h) defines the embedding space
   and its head ``h2y`` maps an embedding back to a label. We use Adam (lr 1e-3) for a few epochs
   instead of the official 200 SGD epochs: the preset budgets are small and Adam converges faster.
   On CUDA it trains in bf16 autocast (the loss in fp32); the official code trains in fp32.
2. ``train_y2h``: the regressor is frozen (eval mode: BatchNorm running stats fixed); the MLP
   ``y2h`` is trained so that ``h2y(y2h(y)) ~= y``, i.e. MSE *through the regressor's head*, as the
   official code does (it does not regress onto ``features`` directly), with one departure: our MSE
   is taken on h2y's output *before* its final ReLU, the official one after it (with the official
   loss a briefly trained regressor's ReLU output stayed at zero and y2h never learned). The official
   training labels: the distinct normalised training labels, each batch perturbed by
   N(0, 0.2^2) noise and clipped to [0, 1] (so the whole [0, 1] interval is covered); SGD
   (momentum 0.9, weight decay 1e-4, lr 0.01, decayed x0.1 at 30 %, 50 % and 70 % of the epochs =
   the official 150/250/350 of 500). Only one direction of the embedding is constrained by this
   loss (the one h2y reads), which is why many y2h units end up constant ("dead") -- the effect the
   paper measures in Fig 5.

Labels are normalised exactly like ``Generator.labels`` of the ccgan variant:
(T - t_min) / (t_max - t_min) with the range rounded to float32, clipped to [0, 1].
Both files store their build arguments and ``t_range``; ``load_y2h`` rebuilds the network.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from bcgan.errors import UserError
from bcgan.io import save_torch
from bcgan.nets.ccgan import build_regressor, build_y2h
from bcgan.nets.precision import autocast
from bcgan.training.loop import epoch_seed, to_float_images

log = logging.getLogger(__name__)

REGRESSOR_FORMAT = "bcgan-ccgan-regressor/1"
Y2H_FORMAT = "bcgan-ccgan-y2h/1"


def normalise_labels(temperatures, t_range) -> np.ndarray:
    """Temperatures -> CcGAN labels in [0, 1] (same arithmetic as the ccgan Generator.labels)."""
    t_min, t_max = (float(np.float32(v)) for v in t_range)
    if not t_max > t_min:
        raise UserError(f"t_range must have t_min < t_max, got {t_range!r}")
    t = np.asarray(temperatures, dtype=np.float32).astype(np.float64)
    return np.clip((t - t_min) / (t_max - t_min), 0.0, 1.0).astype(np.float32)


def _load(path, fmt: str, what: str) -> dict:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"{path}: {what} file not found") from None
    except Exception as exc:
        raise UserError(f"{path}: not a readable {what} file ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise UserError(f"{path}: not a bcgan {what} file (expected format {fmt})")
    return payload


# --------------------------------------------------------------------------------------------
# Regressor
# --------------------------------------------------------------------------------------------
def train_regressor(images: np.ndarray, temperatures: np.ndarray, t_range, *, embed_dim: int = 128,
                    base_width: int = 64, epochs: int = 5, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
                    device="cpu", progress: bool = True):
    """Fit the ResNet34 image -> normalised label; returns (regressor in eval mode, per-epoch mean MSE)."""
    device = torch.device(device)
    images = np.ascontiguousarray(images, dtype=np.uint8)
    y = normalise_labels(temperatures, t_range)
    n, L = images.shape[0], images.shape[1]
    if n < 2:
        raise UserError(f"regressor training needs at least 2 images, got {n}")
    B = min(int(batch_size), n)
    torch.manual_seed(seed)
    net = build_regressor(L, embed_dim, base_width=base_width).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x_dev = torch.from_numpy(images).to(device)
    y_dev = torch.from_numpy(y).to(device)
    losses = []
    net.train()
    for epoch in range(epochs):
        gen = torch.Generator(device=device)
        gen.manual_seed(epoch_seed(seed, epoch, 2))
        perm = torch.randperm(n, generator=gen, device=device)
        total, count = 0.0, 0
        # drop a last batch of one image: BatchNorm needs two
        starts = [s for s in range(0, n, B) if min(B, n - s) >= 2]
        for s in tqdm(starts, desc=f"regressor epoch {epoch + 1}/{epochs}", disable=not progress, leave=False):
            idx = perm[s:s + B]
            with autocast(device, "bf16" if device.type == "cuda" else "fp32"):
                pred = net(to_float_images(x_dev[idx]))
            loss = F.mse_loss(pred.float(), y_dev[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
            count += idx.numel()
        losses.append(total / count)
        if not np.isfinite(losses[-1]):
            raise UserError(f"regressor: loss became non-finite at epoch {epoch + 1}")
        log.info("regressor epoch %d/%d: mse %.5f", epoch + 1, epochs, losses[-1])
    return net.eval(), losses


def save_regressor(path, net, t_range, losses, **metadata) -> None:
    payload = {
        "format": REGRESSOR_FORMAT,
        "build": {"image_size": net.image_size, "embed_dim": net.embed_dim,
                  "base_width": int(net.body[0].out_channels)},
        "t_range": [float(v) for v in t_range],
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "losses": [float(v) for v in losses],
        "metadata": metadata,
    }
    save_torch(payload, path)


def load_regressor(path, device="cpu"):
    """(regressor in eval mode, payload)."""
    payload = _load(path, REGRESSOR_FORMAT, "ccgan regressor")
    net = build_regressor(**payload["build"])
    net.load_state_dict(payload["state_dict"])
    return net.to(device).eval(), payload


# --------------------------------------------------------------------------------------------
# y2h
# --------------------------------------------------------------------------------------------
def train_y2h(regressor, train_labels, *, epochs: int = 500, batch_size: int = 128, lr: float = 0.01,
              noise_std: float = 0.2, seed: int = 0, device="cpu", progress: bool = True):
    """Train y2h so that regressor.h2y(y2h(y)) ~= y (official CcGAN, loss before h2y's final ReLU).

    Returns (y2h in eval mode, per-epoch mean MSE).

    train_labels: normalised labels in [0, 1]; the distinct values are used, each batch perturbed
    by N(0, noise_std^2) and clipped to [0, 1].
    """
    device = torch.device(device)
    labels = np.unique(np.asarray(train_labels, dtype=np.float32))
    if labels.size == 0 or labels.min() < 0 or labels.max() > 1:
        raise UserError("y2h training needs normalised labels in [0, 1]")
    regressor = regressor.to(device).eval()
    for p in regressor.parameters():
        p.requires_grad_(False)
    # h2y = Linear -> ReLU; we regress its *pre-ReLU* output onto y (see module docstring)
    h2y_linear = regressor.h2y[0]
    torch.manual_seed(seed)
    y2h = build_y2h(regressor.embed_dim).to(device)
    opt = torch.optim.SGD(y2h.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    milestones = [max(1, round(f * epochs)) for f in (0.3, 0.5, 0.7)]
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)
    y_dev = torch.from_numpy(labels).to(device)
    n, B = labels.size, min(int(batch_size), labels.size)
    losses = []
    y2h.train()
    for epoch in tqdm(range(epochs), desc="y2h", disable=not progress, leave=False):
        gen = torch.Generator(device=device)
        gen.manual_seed(epoch_seed(seed, epoch, 3))
        perm = torch.randperm(n, generator=gen, device=device)
        total = 0.0
        for s in range(0, n, B):
            y = y_dev[perm[s:s + B]]
            y_noisy = (y + noise_std * torch.randn(y.shape, generator=gen, device=device)).clamp(0.0, 1.0)
            pred = h2y_linear(y2h(y_noisy)).reshape(-1)
            loss = F.mse_loss(pred, y_noisy)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * y.numel()
        sched.step()
        losses.append(total / n)
        if not np.isfinite(losses[-1]):
            raise UserError(f"y2h: loss became non-finite at epoch {epoch + 1}")
        if (epoch + 1) % max(1, epochs // 10) == 0 or epoch + 1 == epochs:
            log.info("y2h epoch %d/%d: mse %.6f", epoch + 1, epochs, losses[-1])
    return y2h.eval(), losses


def save_y2h(path, y2h, t_range, losses, **metadata) -> None:
    payload = {
        "format": Y2H_FORMAT,
        "embed_dim": int(y2h.embed_dim),
        "t_range": [float(v) for v in t_range],
        "state_dict": {k: v.detach().cpu() for k, v in y2h.state_dict().items()},
        "losses": [float(v) for v in losses],
        "metadata": metadata,
    }
    save_torch(payload, path)


def load_y2h(path, device="cpu"):
    """(y2h in eval mode, payload); payload["t_range"] is the normalisation it was trained for."""
    payload = _load(path, Y2H_FORMAT, "ccgan y2h")
    y2h = build_y2h(payload["embed_dim"])
    y2h.load_state_dict(payload["state_dict"])
    return y2h.to(device).eval(), payload


__all__ = ["normalise_labels", "train_regressor", "save_regressor", "load_regressor", "train_y2h", "save_y2h",
           "load_y2h"]
