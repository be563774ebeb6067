"""Conditioning modules: how each variant turns a temperature label into a conditioning signal.

Why a separate module: the five variants share one SAGAN backbone (``bcgan.nets.models``) and differ
only here. Each conditioning module answers two questions:

* generator side -- ``labels -> (B, E)`` vector; either a generic embedding that the backbone's
  conditional-BN projection head turns into per-layer (gamma, beta) (CGAN, CcGAN), or directly the
  per-layer (gamma, beta) vector (BcGAN);
* discriminator side -- either an extra L x L input plane (CGAN lookup, BcGAN bit-MLP) or a
  vector for projection (CcGAN, Miyato & Koyama 2018).

Label domains (the contract): raw float32 temperatures (BcGAN), temperatures normalised to
[0, 1] over the dataset's range (CcGAN), int64 class ids (CGAN-K).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from bcgan.errors import UserError


# --------------------------------------------------------------------------------------------
# IEEE 754 bit decomposition (exact reinterpretation, never arithmetic)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FloatFormat:
    """An IEEE 754 binary format: which torch dtype carries the label and how its bits split."""

    name: str
    dtype: torch.dtype
    int_dtype: torch.dtype  # same width, used to reinterpret the bits
    exponent_bits: int
    mantissa_bits: int

    @property
    def total_bits(self) -> int:
        return 1 + self.exponent_bits + self.mantissa_bits


FLOAT32 = FloatFormat("float32", torch.float32, torch.int32, 8, 23)
FLOAT16 = FloatFormat("float16", torch.float16, torch.int16, 5, 10)
FLOAT64 = FloatFormat("float64", torch.float64, torch.int64, 11, 52)


def float_to_bits(values: torch.Tensor, fmt: FloatFormat = FLOAT32) -> torch.Tensor:
    """(B,) floats -> (B, nbits) float32 tensor of 0/1, most significant bit (the sign) first.

    The value is cast to ``fmt.dtype`` and its storage reinterpreted as an integer of the same
    width (``Tensor.view``), then every bit is read with a shift and a mask. No arithmetic on the
    value, so the mapping is exact and injective: T and nextafter(T) differ in the last bit.
    """
    if not torch.is_floating_point(values):
        raise UserError(f"bit embedding needs floating-point labels, got dtype {values.dtype}")
    raw = values.detach().reshape(-1).to(fmt.dtype).contiguous().view(fmt.int_dtype)
    shifts = torch.arange(fmt.total_bits - 1, -1, -1, device=raw.device, dtype=fmt.int_dtype)
    # arithmetic right shift sign-extends negatives, but the & 1 keeps only the wanted bit
    bits = (raw.unsqueeze(1) >> shifts) & 1
    return bits.to(torch.float32)


def bits_to_float(bits: torch.Tensor, fmt: FloatFormat = FLOAT32) -> torch.Tensor:
    """Inverse of :func:`float_to_bits` (exact): (B, nbits) 0/1 -> (B,) values of ``fmt.dtype``."""
    b = bits.round().to(torch.int64)
    shifts = torch.arange(fmt.total_bits - 1, -1, -1, device=b.device, dtype=torch.int64)
    word = (b << shifts).sum(dim=1)  # unsigned value in int64 (fits for <= 32-bit formats)
    if fmt.total_bits < 64:
        half = 1 << (fmt.total_bits - 1)
        word = torch.where(word >= half, word - (1 << fmt.total_bits), word)  # two's complement
    return word.to(fmt.int_dtype).view(fmt.dtype)


def split_bits(bits: torch.Tensor, fmt: FloatFormat = FLOAT32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, nbits) -> sign (B, 1), exponent (B, e), mantissa (B, m), the three parts of Fig. 1."""
    e = fmt.exponent_bits
    return bits[:, :1], bits[:, 1 : 1 + e], bits[:, 1 + e :]


class BitEmbedding(nn.Module):
    """BcGAN embedding (paper Fig. 8): bits -> {sign, exponent, mantissa} -> three Linear ->
    concat -> tanh -> Linear -> tanh (``final_tanh=False``: no last tanh, an unbounded output).

    ``hidden`` = widths of the three first-layer outputs (sign, exponent, mantissa). No
    normalisation anywhere: the raw float label is the input.
    """

    def __init__(self, out_features: int, hidden: tuple[int, int, int], fmt: FloatFormat = FLOAT32,
                 final_tanh: bool = True):
        super().__init__()
        self.fmt = fmt
        self.final_tanh = bool(final_tanh)
        self.out_features = int(out_features)
        hs, he, hm = (int(h) for h in hidden)
        self.sign = nn.Linear(1, hs)
        self.exponent = nn.Linear(fmt.exponent_bits, he)
        self.mantissa = nn.Linear(fmt.mantissa_bits, hm)
        self.merge = nn.Linear(hs + he + hm, self.out_features)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        s, e, m = split_bits(float_to_bits(labels, self.fmt), self.fmt)
        w = self.merge.weight
        s, e, m = s.to(w.dtype), e.to(w.dtype), m.to(w.dtype)
        h = torch.tanh(torch.cat([self.sign(s), self.exponent(e), self.mantissa(m)], dim=1))
        out = self.merge(h)
        return torch.tanh(out) if self.final_tanh else out


class ScalarEmbedding(nn.Module):
    """The control for the bits: the raw float32 label itself (no bits, no normalisation) as the one
    input of an MLP of BcGAN's widths: Linear(1 -> hidden) -> tanh -> Linear -> tanh (or no last tanh).

    Why: BcGAN feeds an unnormalised scalar in a binary code; this asks whether a bit code does
    anything that the same scalar through the same widths does not.
    """

    def __init__(self, out_features: int, hidden: int, final_tanh: bool = True):
        super().__init__()
        self.final_tanh = bool(final_tanh)
        self.out_features = int(out_features)
        self.first = nn.Linear(1, int(hidden))
        self.merge = nn.Linear(int(hidden), self.out_features)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        t = labels.detach().reshape(-1, 1).to(self.merge.weight.dtype)
        out = self.merge(torch.tanh(self.first(t)))
        return torch.tanh(out) if self.final_tanh else out


# --------------------------------------------------------------------------------------------
# CGAN-K: binning and lookup tables
# --------------------------------------------------------------------------------------------
def bin_temperatures(t: torch.Tensor, t_range: tuple[float, float], num_classes: int) -> torch.Tensor:
    """Equal-width bins over [t_min, t_max]: t_min -> class 0, t_max -> class K-1.

    Bin k covers [t_min + k w, t_min + (k+1) w) with w = (t_max - t_min)/K, the last bin closed on
    the right. Values outside the range are clamped to the nearest edge class (a sampling grid
    starting at T=0 below the data's small positive t_min must still work); NaN/inf raise.
    """
    t_min, t_max = float(t_range[0]), float(t_range[1])
    if not t_max > t_min:
        raise UserError(f"t_range must have t_min < t_max, got {t_range}")
    t64 = t.detach().to(torch.float64)
    if not torch.isfinite(t64).all():
        raise UserError("temperatures to bin contain NaN or inf")
    k = torch.floor((t64 - t_min) / (t_max - t_min) * num_classes)
    return k.clamp_(0, num_classes - 1).to(torch.int64)


class ClassEmbedding(nn.Module):
    """CGAN discriminator conditioning by projection: class -> learnable vector (K x dim table), as the
    official improved-CcGAN cGAN's D (Miyato & Koyama 2018) instead of Table 1's K x L^2 plane."""

    def __init__(self, num_classes: int, dim: int):
        super().__init__()
        self.out_features = int(dim)
        self.table = nn.Embedding(num_classes, self.out_features)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.table(labels)


class LookupPlane(nn.Module):
    """CGAN discriminator conditioning: class -> learnable L x L plane (K x L^2 table)."""

    def __init__(self, num_classes: int, image_size: int):
        super().__init__()
        self.image_size = int(image_size)
        self.table = nn.Embedding(num_classes, self.image_size**2)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.table(labels).reshape(-1, 1, self.image_size, self.image_size)


class BitPlane(nn.Module):
    """BcGAN discriminator conditioning: bit embedding whose output is an L x L plane.

    ``unit_range`` = (t_min, t_max): rescale the last layer at initialisation so that, over that
    range, its output before tanh varies with T with unit standard deviation (per pixel, averaged),
    as much as a ±1 image pixel; with torch's default init it varies by ~0.1 and D starts
    nearly unconditional.
    """

    def __init__(self, image_size: int, hidden: tuple[int, int, int], fmt: FloatFormat = FLOAT32,
                 unit_range: tuple[float, float] | None = None):
        super().__init__()
        self.image_size = int(image_size)
        self.embed = BitEmbedding(self.image_size**2, hidden, fmt)
        if unit_range is not None and not self.embed.merge.weight.is_meta:
            with torch.no_grad():
                t = torch.linspace(float(unit_range[0]), float(unit_range[1]), 256)
                s, e, m = split_bits(float_to_bits(t, fmt), fmt)
                e_ = self.embed
                h = torch.tanh(torch.cat([e_.sign(s), e_.exponent(e), e_.mantissa(m)], dim=1))
                scale = e_.merge(h).std(dim=0).mean()
                e_.merge.weight.div_(scale)
                e_.merge.bias.zero_()

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embed(labels).reshape(-1, 1, self.image_size, self.image_size)


# --------------------------------------------------------------------------------------------
# CcGAN: frozen, pretrained y2h
# --------------------------------------------------------------------------------------------
class FrozenY2H(nn.Module):
    """Wraps the pretrained y2h MLP (label in [0,1] -> regressor feature space); never trained.

    Parameters get ``requires_grad=False`` and the wrapped net stays in eval mode whatever
    ``.train()`` is called on the GAN, so G/D optimisers built from trainable parameters skip it.
    The same y2h object may be shared by G and D.
    """

    def __init__(self, y2h: nn.Module):
        super().__init__()
        if y2h is None:
            raise UserError("variant ccgan needs the pretrained y2h network (y2h=...)")
        self.y2h = y2h
        for p in self.y2h.parameters():
            p.requires_grad_(False)
        self.y2h.eval()
        self.out_features = int(getattr(y2h, "embed_dim"))

    def train(self, mode: bool = True):
        super().train(mode)
        self.y2h.eval()
        return self

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.y2h(labels.reshape(-1).to(torch.float32))
