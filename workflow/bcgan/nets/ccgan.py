"""CcGAN label-input machinery (Ding et al., TPAMI 2023, "improved CcGAN"): architectures only.

Why: CcGAN conditions on a *learned* label embedding. A ResNet34 regressor is trained
image -> normalised label; the output of its penultimate layer (``features``) defines the
embedding space h. A small MLP ``y2h`` is then trained to map a label y in [0,1] onto the features
of images with that label; the GAN conditions on y2h(y) (y2h frozen). Training loops belong to
the training stage; this module only defines the networks and the vicinity hyper-parameters.

Architecture notes (follow the official ``ResNet_embed`` / ``model_y2h``):
* ResNet34 = BasicBlock x [3, 4, 6, 3], widths 64-128-256-512, a 3x3 stride-1 stem and every
  stage strided by 2 (the official 64x64 stem; the official 128x128 one adds MaxPool2d(2, 2), but
  without it four stride-2 stages already take a 16x16 image to 1x1), global average pool, then
  x2h: Linear(512,512)-BN-ReLU-Linear(512,E)-BN-ReLU (the embedding), h2y: Linear(E,1)-ReLU.
  One input channel (spin images). ~21.6 M parameters at E=128, the paper's "21.61M".
* y2h: Linear(1,E) then 3 x [Linear(E,E)], each followed by GroupNorm(8)-ReLU, then Linear(E,E);
  67,328 parameters at E=128, the paper's "(67k)". GroupNorm has no running statistics, so
  train/eval mode do not change it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bcgan.errors import UserError

DEFAULT_EMBED_DIM = 128


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetRegressor(nn.Module):
    """ResNet34 image -> normalised label; ``features`` = the embedding space of CcGAN."""

    def __init__(self, image_size: int, embed_dim: int = DEFAULT_EMBED_DIM, blocks=(3, 4, 6, 3), in_channels: int = 1,
                 base_width: int = 64):
        super().__init__()
        if image_size < 16 or image_size & (image_size - 1):
            raise UserError(f"regressor image_size must be a power of two >= 16, got {image_size}")
        self.image_size = int(image_size)
        self.embed_dim = int(embed_dim)
        if base_width < 1:
            raise UserError(f"regressor base_width must be >= 1, got {base_width}")
        w = int(base_width)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
        cin = w
        for width, n in zip((w, 2 * w, 4 * w, 8 * w), blocks):
            for i in range(n):
                layers.append(_BasicBlock(cin, width, 2 if i == 0 else 1))
                cin = width
        layers.append(nn.AdaptiveAvgPool2d(1))
        self.body = nn.Sequential(*layers)
        self.x2h = nn.Sequential(
            nn.Linear(8 * w, 512), nn.BatchNorm1d(512), nn.ReLU(),
            nn.Linear(512, self.embed_dim), nn.BatchNorm1d(self.embed_dim), nn.ReLU(),
        )
        self.h2y = nn.Sequential(nn.Linear(self.embed_dim, 1), nn.ReLU())

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, L, L) images in [-1, 1] -> (B, E) embedding."""
        return self.x2h(self.body(x).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, L, L) -> (B,) predicted normalised label."""
        return self.h2y(self.features(x)).reshape(-1)


class Y2H(nn.Module):
    """Label y in [0,1] -> the regressor's feature space (5 Linear layers, GroupNorm + ReLU).

    Ends in ReLU like the official ``model_y2h``: the regressor's features are post-ReLU, so the
    target space is non-negative (and units the regressor never uses come out exactly 0).
    """

    def __init__(self, embed_dim: int = DEFAULT_EMBED_DIM, groups: int = 8):
        super().__init__()
        if embed_dim % groups:
            raise UserError(f"y2h embed_dim must be divisible by {groups}, got {embed_dim}")
        self.embed_dim = int(embed_dim)
        layers: list[nn.Module] = []
        cin = 1
        for _ in range(4):
            layers += [nn.Linear(cin, embed_dim), nn.GroupNorm(groups, embed_dim), nn.ReLU()]
            cin = embed_dim
        layers += [nn.Linear(embed_dim, embed_dim), nn.ReLU()]
        self.main = nn.Sequential(*layers)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.main(y.reshape(-1, 1).to(self.main[0].weight.dtype) + 1e-8)


def build_regressor(image_size: int, embed_dim: int = DEFAULT_EMBED_DIM, base_width: int = 64) -> ResNetRegressor:
    """ResNet34 regressor for 1-channel L x L images (L a power of two >= 16).

    ``base_width`` 64 is ResNet34 proper (paper); smaller widths keep the smoke preset fast on CPU.
    """
    return ResNetRegressor(image_size, embed_dim, base_width=base_width)


def build_y2h(embed_dim: int = DEFAULT_EMBED_DIM) -> Y2H:
    """The label -> embedding MLP (to be trained against ``regressor.features``, then frozen)."""
    return Y2H(embed_dim)


def vicinity_parameters(labels_normalised, kind: str = "soft", kappa_multiplier: float = 1.0) -> tuple[float, float]:
    """(sigma, kappa) by the rule of Ding et al. (TPAMI 2023, and their official scripts).

    The official scripts pass the multiplier as a negative ``--kappa`` (RC-49 and Cell-200: 2,
    SteeringAngle: 5); the paper does not give one for the Ising data, so the presets keep 1.

    sigma (std of the Gaussian noise added to target labels) = Silverman's rule of thumb,
    1.06 * std(y) * n^(-1/5), over all n normalised training labels.
    kappa_base = kappa_multiplier * (largest gap between consecutive distinct labels);
    hard vicinity (HVDL): kappa = kappa_base (a radius); soft vicinity (SVDL):
    kappa = 1 / kappa_base^2 (the weight is exp(-kappa (y - y')^2), e^-1 at distance kappa_base).
    """
    y = np.asarray(labels_normalised, dtype=np.float64).reshape(-1)
    if y.size < 2 or not np.all(np.isfinite(y)):
        raise UserError("vicinity_parameters needs at least two finite labels")
    unique = np.unique(y)
    if unique.size < 2:
        raise UserError("vicinity_parameters needs at least two distinct labels")
    if kappa_multiplier <= 0:
        raise UserError(f"kappa_multiplier must be > 0, got {kappa_multiplier}")
    sigma = 1.06 * float(np.std(y)) * y.size ** (-1 / 5)
    kappa_base = kappa_multiplier * float(np.max(np.diff(unique)))
    if kind == "hard":
        return sigma, kappa_base
    if kind == "soft":
        return sigma, 1.0 / kappa_base**2
    raise UserError(f"vicinity kind must be 'hard' or 'soft', got {kind!r}")


def vicinity_radius(kappa: float, kind: str, soft_weight_threshold: float = 1e-3) -> float:
    """Half-width of the label window used to pick real images / fake labels around a target."""
    if kind == "hard":
        return float(kappa)
    return math.sqrt(-math.log(soft_weight_threshold) / kappa)
