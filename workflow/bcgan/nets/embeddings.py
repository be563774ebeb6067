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

How a float label becomes the input of BcGAN's MLP is one entry of ``ENCODINGS`` (issue 30): a code
function (B,) float -> (B, width) float32 features, split into named input groups; G and D build every
encoding through the same :class:`CodeMLP` of BcGAN's widths, so a new encoding is one line there and
one ``VariantSpec`` per arm. Every code is defined for every finite float32 (±0, negatives,
subnormals, 1e±30); the numeric ones are computed in float64 from the exact float32 value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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


# --------------------------------------------------------------------------------------------
# Label encodings of a raw float: the registry (issue 30)
# --------------------------------------------------------------------------------------------
LOG2_ZERO = -149.0  # log2 of the smallest float32 subnormal, 2^-149: where the log codes put ±0
LOG2_MAX = 128.0    # every finite float32 magnitude is below 2^128
FOURIER_PERIODS = tuple(2.0**j for j in range(1, 10))  # 2, 4, ..., 512 (in log2 units)
PLE_EDGES = torch.arange(LOG2_ZERO, LOG2_MAX, 1.0, dtype=torch.float64)  # 277 unit bins [-149, 128)


def _bits_code(fmt: FloatFormat):
    def code(labels: torch.Tensor) -> torch.Tensor:
        return float_to_bits(labels, fmt)

    code.__doc__ = (f"The {fmt.total_bits} IEEE 754 {fmt.name} bits of T (sign, exponent, mantissa), exact; "
                    "G sees the exponent, the mantissa is 23 (10) unordered binary inputs.")
    return code


def _float_code(labels: torch.Tensor) -> torch.Tensor:
    """T itself as one input (the control): no bits, no normalisation."""
    return labels.detach().reshape(-1, 1).to(torch.float32)


def _sign_and_log2(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sign(T) in {-1, 0, +1}, log2|T|) in float64, ±0 -> (0, LOG2_ZERO): +0 and -0 compare equal, so
    they get one code; it sits one subnormal step below the smallest magnitude, 2^-149."""
    t = labels.detach().reshape(-1).to(torch.float32).to(torch.float64)
    a = t.abs()
    return torch.sign(t), torch.where(a > 0, torch.log2(a), torch.full_like(a, LOG2_ZERO))


def _logfourier_code(labels: torch.Tensor) -> torch.Tensor:
    """[sign(T), x/128, sin(2 pi x/P_j), cos(2 pi x/P_j) for P_j = 2, 4, ..., 512] with x = log2|T| (20 values).

    Periods >= 2 binades: a period of 1 would give T and 2T one code (the bit code's blind spot, mirrored);
    the 512 pair alone is injective over the whole float32 range (x in [-149, 128], 277 < 512) and x/128
    is monotone, so no two magnitudes collide. Smooth: d code / d ln T <= 2 pi / (2 ln 2) = 4.5."""
    sign, x = _sign_and_log2(labels)
    angles = 2 * math.pi * x[:, None] / torch.tensor(FOURIER_PERIODS, dtype=torch.float64)
    return torch.cat([sign[:, None], x[:, None] / LOG2_MAX, torch.sin(angles), torch.cos(angles)], 1).float()


def _floatparts_code(labels: torch.Tensor) -> torch.Tensor:
    """[sign bit as ±1, unbiased exponent e / 128, mantissa m in [1, 2)] with |T| = m 2^e (frexp: exact,
    subnormals normalised); ±0 -> (±1, -149/128, 0), so m 2^e = |T| holds there too. Jumps at every power
    of two: m falls 2 -> 1 as e steps up by one."""
    t = labels.detach().reshape(-1).to(torch.float32).to(torch.float64)
    frac, exp = torch.frexp(t)  # |frac| in [0.5, 1), or 0 for ±0
    zero = t == 0
    mantissa = torch.where(zero, torch.zeros_like(t), 2 * frac.abs())
    exponent = torch.where(zero, torch.full_like(t, LOG2_ZERO), (exp - 1).to(torch.float64))
    sign = 1.0 - 2.0 * torch.signbit(t).to(torch.float64)
    return torch.stack([sign, exponent / LOG2_MAX, mantissa], 1).float()


def _ple_code(labels: torch.Tensor) -> torch.Tensor:
    """[sign(T), clamp(x - k, 0, 1) for k = -149 ... 127] with x = log2|T| (278 values): Gorishniy et al.'s
    piecewise-linear encoding over the binades, a thermometer of the exponent plus log2 of the mantissa in
    the binade's own bin; continuous and monotone in |T|, so injective. ±0: all bins 0, sign 0."""
    sign, x = _sign_and_log2(labels)
    bins = (x[:, None] - PLE_EDGES.to(x.device)).clamp(0.0, 1.0)
    return torch.cat([sign[:, None], bins], 1).float()


@dataclass(frozen=True)
class Encoding:
    """A label encoding: float labels -> (B, width) float32 features, in named input groups.

    Each group gets its own first Linear (Fig. 8 splits sign, exponent and mantissa); the group names are
    the modules' names, so state_dict keys stay those of the trained models."""

    name: str
    code: Callable[[torch.Tensor], torch.Tensor]
    groups: tuple[tuple[str, int], ...]  # (module name, input width), in the code's column order

    @property
    def width(self) -> int:
        return sum(w for _, w in self.groups)

    @property
    def doc(self) -> str:
        return " ".join((self.code.__doc__ or "").split())


def _bit_groups(fmt: FloatFormat) -> tuple[tuple[str, int], ...]:
    return ("sign", 1), ("exponent", fmt.exponent_bits), ("mantissa", fmt.mantissa_bits)


# Adding a label encoding = one entry here; G and D build it through the same MLP (CodeMLP).
ENCODINGS: dict[str, Encoding] = {
    e.name: e
    for e in (
        Encoding("bits", _bits_code(FLOAT32), _bit_groups(FLOAT32)),
        Encoding("bits16", _bits_code(FLOAT16), _bit_groups(FLOAT16)),
        Encoding("float", _float_code, (("first", 1),)),
        Encoding("logfourier", _logfourier_code, (("first", 2 + 2 * len(FOURIER_PERIODS)),)),
        Encoding("floatparts", _floatparts_code, (("sign", 1), ("exponent", 1), ("mantissa", 1))),
        Encoding("ple", _ple_code, (("first", 1 + len(PLE_EDGES)),)),
    )
}


def encoding(name: str) -> Encoding:
    if name not in ENCODINGS:
        raise UserError(f"unknown label encoding {name!r}; known: {', '.join(ENCODINGS)}")
    return ENCODINGS[name]


def group_widths(enc: Encoding, hidden: tuple[int, ...]) -> tuple[int, ...]:
    """First-layer widths: BcGAN's per-group widths where the encoding has as many groups (bits,
    floatparts), else all of them in its one group (a 1 -> 272 layer in G, 1 -> 18 in D)."""
    hidden = tuple(int(h) for h in hidden)
    if len(enc.groups) == len(hidden):
        return hidden
    if len(enc.groups) == 1:
        return (sum(hidden),)
    raise UserError(f"encoding {enc.name}: {len(enc.groups)} input groups, {len(hidden)} hidden widths")


class CodeMLP(nn.Module):
    """BcGAN's embedding (paper Fig. 8) on any registered encoding: each input group -> its own Linear ->
    concat -> tanh -> Linear -> tanh (``final_tanh=False``: no last tanh, an unbounded output).

    ``hidden`` = BcGAN's first-layer widths (sign, exponent, mantissa); see :func:`group_widths`. No
    normalisation anywhere: what the encoding makes of the label is the input.
    """

    def __init__(self, encoding_name: str, out_features: int, hidden: tuple[int, ...], final_tanh: bool = True):
        super().__init__()
        self.encoding = encoding(encoding_name)
        self.final_tanh = bool(final_tanh)
        self.out_features = int(out_features)
        widths = group_widths(self.encoding, hidden)
        self.group_names = [name for name, _ in self.encoding.groups]
        self.group_inputs = [w for _, w in self.encoding.groups]
        for (name, width), h in zip(self.encoding.groups, widths):
            self.add_module(name, nn.Linear(width, h))
        self.merge = nn.Linear(sum(widths), self.out_features)

    def hidden(self, labels: torch.Tensor) -> torch.Tensor:
        """(B,) labels -> the tanh layer after the per-group Linears."""
        code = self.encoding.code(labels).to(self.merge.weight.dtype)
        parts = torch.split(code, self.group_inputs, dim=1)
        return torch.tanh(torch.cat([getattr(self, n)(x) for n, x in zip(self.group_names, parts)], dim=1))

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        out = self.merge(self.hidden(labels))
        return torch.tanh(out) if self.final_tanh else out


def BitEmbedding(out_features: int, hidden: tuple[int, int, int], fmt: FloatFormat = FLOAT32,
                 final_tanh: bool = True) -> CodeMLP:
    """BcGAN's bit MLP: :class:`CodeMLP` on the bits of ``fmt`` (float32 or float16)."""
    return CodeMLP({FLOAT32: "bits", FLOAT16: "bits16"}[fmt], out_features, hidden, final_tanh)


class CodePlane(nn.Module):
    """BcGAN discriminator conditioning (Table 1): the encoding's MLP whose output is an L x L plane.

    ``unit_range`` = (t_min, t_max): rescale the last layer at initialisation so that, over that
    range, its output before tanh varies with T with unit standard deviation (per pixel, averaged),
    as much as a ±1 image pixel; with torch's default init it varies by ~0.1 and D starts
    nearly unconditional.
    """

    def __init__(self, encoding_name: str, image_size: int, hidden: tuple[int, ...],
                 unit_range: tuple[float, float] | None = None):
        super().__init__()
        self.image_size = int(image_size)
        self.embed = CodeMLP(encoding_name, self.image_size**2, hidden)
        if unit_range is not None and not self.embed.merge.weight.is_meta:
            with torch.no_grad():
                t = torch.linspace(float(unit_range[0]), float(unit_range[1]), 256)
                scale = self.embed.merge(self.embed.hidden(t)).std(dim=0).mean()
                self.embed.merge.weight.div_(scale)
                self.embed.merge.bias.zero_()

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embed(labels).reshape(-1, 1, self.image_size, self.image_size)


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
