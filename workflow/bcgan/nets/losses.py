"""GAN losses: hinge (SAGAN, all variants) and the CcGAN vicinal discriminator loss.

Why separate from the networks: the training loop combines them per variant (``VariantSpec.loss``:
"hinge" or "vicinal"); tests check them on hand-computable inputs.

CcGAN (Ding et al., TPAMI 2023) replaces the per-class D loss by a *vicinal* one. We implement
both vicinities and default to **SVDL** (soft vicinal discriminator loss), the setting of the
official improved-CcGAN scripts at 128x128 (``--threshold_type soft``), with the hinge form those
scripts use for SAGAN:

    L_D = mean_j w_r(j) * relu(1 - D(x_j, y_j*)) + mean_j w_f(j) * relu(1 + D(G(z_j, y'_j), y_j*))

where y_j* = y_j + eps_j (y_j drawn from the distinct training labels, eps ~ N(0, sigma^2)),
x_j is a real image whose label lies within the vicinity of y_j*, y'_j ~ U(vicinity of y_j*)
(clipped to [0, 1], or the arm's label range), and the weights are exp(-kappa (y - y*)^2) for SVDL or 1 for HVDL
(|y - y*| <= kappa). sigma and kappa come from ``bcgan.nets.ccgan.vicinity_parameters``
(sigma = 1.06 std(y) n^(-1/5); kappa_base = m * max gap between consecutive distinct labels;
HVDL kappa = kappa_base, SVDL kappa = 1 / kappa_base^2). The generator loss is the plain hinge
generator loss at the noisy target labels y*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from bcgan.errors import UserError
from bcgan.nets.ccgan import vicinity_radius


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-mean(D(fake))."""
    return -fake_logits.mean()


def mode_seeking_loss(fake_a: torch.Tensor, fake_b: torch.Tensor, z_a: torch.Tensor, z_b: torch.Tensor,
                      eps: float = 1e-5) -> torch.Tensor:
    """Mao et al. 2019's mode-seeking term 1 / (d_I / d_z + eps) for two images per label from two noises,
    with a spin-flip-invariant image distance: d_I is the mean over pairs of min(mean |a - b|, mean |a + b|)
    (a and -a are one lattice, as the study's diversity counts them), so G cannot pay the term with a
    global sign flip; d_z = mean |z_a - z_b|. Large where G gives one image per label (collapse)."""
    a, b = fake_a.flatten(1).float(), fake_b.flatten(1).float()
    d_image = torch.minimum((a - b).abs().mean(1), (a + b).abs().mean(1)).mean()
    d_noise = (z_a.float() - z_b.float()).abs().mean()
    return 1.0 / (d_image / d_noise + eps)


def insensitive_l1(estimate: torch.Tensor, labels: torch.Tensor, epsilon: float) -> torch.Tensor:
    """mean(max(|estimate − label| − ε, 0)): the ε-insensitive L1 of an auxiliary label regression
    (CcGAN-AVAR); an estimate within ε of its label costs nothing, so a label's images may spread by ε."""
    return F.relu((estimate.float() - labels.float()).abs() - float(epsilon)).mean()


def vicinal_weights(labels: torch.Tensor, targets: torch.Tensor, kappa: float, kind: str = "soft") -> torch.Tensor:
    """Per-sample weight of a (label, target) pair: soft exp(-kappa d^2), hard 1[|d| <= kappa]."""
    d = labels.to(torch.float32) - targets.to(torch.float32)
    if kind == "soft":
        return torch.exp(-kappa * d * d)
    if kind == "hard":
        return (d.abs() <= kappa).to(torch.float32)
    raise UserError(f"vicinity kind must be 'hard' or 'soft', got {kind!r}")


def vicinal_d_loss(real_logits, fake_logits, real_weights, fake_weights) -> torch.Tensor:
    """Weighted hinge D loss of CcGAN (HVDL when the weights are all 1, SVDL otherwise)."""
    real = (real_weights.reshape(-1) * F.relu(1.0 - real_logits.reshape(-1).float())).mean()
    fake = (fake_weights.reshape(-1) * F.relu(1.0 + fake_logits.reshape(-1).float())).mean()
    return real + fake


@dataclass
class VicinalBatch:
    """One D step's labels for CcGAN (normalised domain) and the real-image indices to use."""

    target_labels: np.ndarray  # y* (float32), given to D for real and fake images
    real_index: np.ndarray     # index into the training set of each real image
    fake_labels: np.ndarray    # y' (float32), given to G
    real_weights: np.ndarray
    fake_weights: np.ndarray


def sample_vicinal_batch(train_labels, batch_size: int, sigma: float, kappa: float, rng: np.random.Generator,
                         kind: str = "soft", soft_weight_threshold: float = 1e-3, max_redraws: int = 1000,
                         bounds: tuple[float, float] = (0.0, 1.0)) -> VicinalBatch:
    """Draw targets, real images in their vicinity and fake labels (official algorithm, vectorised).

    A target with no real label in its window [y* - r, y* + r] (r = kappa for HVDL,
    sqrt(-ln(threshold)/kappa) for SVDL, i.e. weight >= threshold) gets a fresh noise draw, as in
    the official code. Targets and fake labels are clipped to ``bounds``: [0, 1] for CcGAN's normalised
    labels, the labels of [t_min, t_max] for an arm on raw temperatures (the same clip in its units); the
    official improved-CcGAN scripts never clip them (their ``clip_label`` is never turned on).
    """
    lo_bound, hi_bound = (float(b) for b in bounds)
    y = np.asarray(train_labels, dtype=np.float64).reshape(-1)
    if y.size == 0:
        raise UserError("sample_vicinal_batch needs training labels")
    order = np.argsort(y, kind="stable")
    ys = y[order]
    unique = np.unique(ys)
    r = vicinity_radius(kappa, kind, soft_weight_threshold)
    base = rng.choice(unique, size=batch_size, replace=True)
    target = np.clip(base + rng.normal(0.0, sigma, batch_size), lo_bound, hi_bound)
    lo = np.searchsorted(ys, target - r, side="left")
    hi = np.searchsorted(ys, target + r, side="right")
    for _ in range(max_redraws):
        empty = hi <= lo
        if not empty.any():
            break
        k = int(empty.sum())
        target[empty] = np.clip(base[empty] + rng.normal(0.0, sigma, k), lo_bound, hi_bound)
        lo[empty] = np.searchsorted(ys, target[empty] - r, side="left")
        hi[empty] = np.searchsorted(ys, target[empty] + r, side="right")
    else:
        raise UserError("vicinity too narrow: no real label near some targets; increase kappa_multiplier")
    pick = lo + np.floor(rng.random(batch_size) * (hi - lo)).astype(np.int64)
    real_index = order[pick]
    fake = rng.uniform(np.maximum(lo_bound, target - r), np.minimum(hi_bound, target + r))
    tt = torch.from_numpy(target)
    rw = vicinal_weights(torch.from_numpy(y[real_index]), tt, kappa, kind).numpy()
    fw = vicinal_weights(torch.from_numpy(fake), tt, kappa, kind).numpy()
    return VicinalBatch(target.astype(np.float32), real_index, fake.astype(np.float32), rw, fw)
