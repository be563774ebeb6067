"""An exponential moving average of G's weights, kept beside training and never fed back into it.

Why: with a constant learning rate (the paper's Adam 1e-4, beta1 = 0) GAN training does not settle on
one generator; the iterate orbits an equilibrium, and metrics of the last iterate oscillate with it.
The average of the recent iterates (Yazici et al., ICLR 2019; BigGAN's "EMA of G") shows whether that
orbit is still moving. Training reads nothing from the average, so G, D and every random stream are
the same with or without it.

Every floating-point entry of G's state dict is averaged -- parameters, spectral-norm vectors and
BatchNorm running statistics alike -- and integer entries (BatchNorm's counters) are copied. The
decay of update t is min(decay, (1 + t) / (10 + t)), so the first updates are not dominated by the
random initialisation (the warm-up of TensorFlow's ExponentialMovingAverage).
"""

from __future__ import annotations

import copy

import torch

from bcgan.errors import UserError


def check_decay(decay: float) -> float:
    decay = float(decay)
    if not 0.0 < decay < 1.0:
        raise UserError(f"train.ema_decay must be in (0, 1), got {decay}")
    return decay


def effective_decay(decay: float, updates: int) -> float:
    """The decay of update number ``updates`` (0-based): warm-up, then ``decay``."""
    return min(decay, (1.0 + updates) / (10.0 + updates))


def average_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A frozen copy of ``model`` to hold the average (starts equal to the model)."""
    avg = copy.deepcopy(model)
    avg.requires_grad_(False)
    return avg


@torch.no_grad()
def update(avg: torch.nn.Module, model: torch.nn.Module, decay: float, updates: int) -> None:
    """avg <- d avg + (1 - d) model for every float entry (d = effective_decay); others copied."""
    d = effective_decay(decay, updates)
    current = model.state_dict()
    for name, value in avg.state_dict().items():
        new = current[name]
        if value.is_floating_point():
            value.mul_(d).add_(new.detach(), alpha=1.0 - d)
        else:
            value.copy_(new)
