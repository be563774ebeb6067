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

The averaged running statistics do not describe the averaged network's own activations: evaluated
with them, CGAN-1024's average made images of one sign at every T in a 30-epoch mini run. So the average is
evaluated (and saved) with *standing statistics* (BigGAN): BatchNorm statistics recomputed from its
own activations on a fixed set of noise and temperatures (``with_standing_statistics``).
"""

from __future__ import annotations

import copy

import numpy as np
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


@torch.no_grad()
def with_standing_statistics(avg: torch.nn.Module, temperatures, seeds, *, device="cpu", precision: str = "fp32",
                             batch_size: int = 256) -> torch.nn.Module:
    """A copy of the generator ``avg`` whose BatchNorm statistics are the exact mean and variance of its
    own activations on ``temperatures`` with the noise of ``seeds`` (bcgan.nets.sampling's recorded seeds);
    ``avg`` itself and every random stream are left untouched. Returned in eval mode."""
    from bcgan.nets.precision import autocast
    from bcgan.nets.sampling import noise_vectors

    out = copy.deepcopy(avg).eval()
    norms = _image_norms(out)  # not the frozen label embedding (CcGAN's pretrained y2h has BatchNorm)
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
        m.train()  # only these layers: spectral norm stays in eval mode, no power iteration
    temperatures = np.asarray(temperatures, np.float32).ravel()
    seeds = np.asarray(seeds, np.uint64).ravel()
    device = torch.device(device)
    for s in range(0, temperatures.size, batch_size):
        z = torch.from_numpy(noise_vectors(seeds[s:s + batch_size], out.z_dim)).to(device)
        labels = out.labels(torch.from_numpy(temperatures[s:s + batch_size])).to(device)
        with autocast(device, precision):
            out(z, labels)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return out.eval()


def _image_norms(generator: torch.nn.Module) -> list:
    return [m for name, m in generator.named_modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and not name.startswith("embedding.")]
