"""One SAGAN backbone (Zhang et al. 2019) for all five variants; a registry picks the conditioning.

Backbone (follows the official CcGAN SAGAN for 128x128, Ding et al., generalised to L = 16..128):

* G: z -> SN-Linear -> (16c', 4, 4) -> n = log2(L/4) residual up-blocks
  [CBN-ReLU-up2-SNconv3x3-CBN-ReLU-SNconv3x3 + up2-SNconv1x1 shortcut] -> BN-ReLU-SNconv3x3 -> tanh.
  Widths are the last n+1 entries of c * (16, 16, 8, 4, 2, 1) (L=128 uses them all).
* D: n residual down-blocks with widths c * (1, 2, 4, 8, 16)[:n] (first one the SAGAN "optimised"
  block), one more block at the last width without down-sampling, ReLU, flatten the 4x4 map,
  SN-Linear -> logit (+ projection term for projection-conditioned variants).
* One self-attention block in G and D, at resolution min(32, L/2) (32x32 at L=128, as official).
* Spectral norm on every conv/linear of G and D, conditional BN in G (BatchNorm without affine,
  out = bn(x) * (1 + gamma) + beta), hinge loss (``bcgan.nets.losses``).

Conditioning (the only thing that differs between variants; see ``bcgan.nets.embeddings``):

* every CBN layer needs a (gamma, beta) pair per channel; G's conditioning module yields either a
  generic embedding that a bias-free Linear head (part of the backbone, as in CcGAN's
  ``embed_gamma/embed_beta``) maps to all of them (``cgan*``, ``ccgan``), or directly the
  concatenated (gamma, beta) vector (``bcgan``: the second layer of the Fig. 8 MLP *is* the
  per-layer projection, so the embedding ends in tanh and G needs no head);
* D is conditioned by an extra L x L input plane (``cgan*``: K x L^2 lookup; ``bcgan``: bit MLP
  with L^2 outputs) or by projection of y2h(label) onto the flattened features (``ccgan``).

Parameter counts (``count_parameters``) follow Table 1: G and D are counted without their
embedding module; the CBN head and the D projection layer count as backbone.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from bcgan.errors import UserError
from bcgan.nets.embeddings import (
    ClassEmbedding,
    CodeMLP,
    CodePlane,
    FrozenY2H,
    LookupPlane,
    bin_temperatures,
)
from bcgan.variants import REGISTRY, VariantSpec, names, variant_spec

G_MULTS = (16, 16, 8, 4, 2, 1)
D_MULTS = (1, 2, 4, 8, 16)
CLASS_EMBED_DIM = 128  # CGAN generator lookup width (Table 1: K x 128)


# --------------------------------------------------------------------------------------------
# Variant registry (bcgan.variants, torch-free): views by group, as the tests and tables read them
# --------------------------------------------------------------------------------------------
VARIANT_SPECS: dict[str, VariantSpec] = {n: REGISTRY[n] for n in names("paper", "workflow")}
VARIANTS: tuple[str, ...] = tuple(names("paper"))  # the paper's five
ABLATION_SPECS: dict[str, VariantSpec] = {n: REGISTRY[n] for n in names("ablation")}
STUDY_SPECS: dict[str, VariantSpec] = {n: REGISTRY[n] for n in names("study")}


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------
# Parameter counting builds the nets on the meta device, where spectral norm's power iteration and
# random init run through slow Python reference kernels; neither changes the parameter count
# (spectral norm only adds buffers), so counting skips both.
_COUNTING_ONLY = False


def _init(module: nn.Module) -> nn.Module:
    if module.weight.is_meta:
        return module
    nn.init.xavier_uniform_(module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


def _sn(module: nn.Module) -> nn.Module:
    return module if _COUNTING_ONLY else spectral_norm(module)


def sn_conv(cin: int, cout: int, kernel: int) -> nn.Module:
    return _sn(_init(nn.Conv2d(cin, cout, kernel, 1, kernel // 2)))


def sn_linear(cin: int, cout: int, bias: bool = True) -> nn.Module:
    return _sn(_init(nn.Linear(cin, cout, bias=bias)))


class SelfAttention(nn.Module):
    """SAGAN self-attention (theta/phi/g 1x1 convs, 2x2 max-pooled keys/values, learned gate)."""

    def __init__(self, channels: int):
        super().__init__()
        if channels < 8:
            raise UserError(f"self-attention needs >= 8 channels, got {channels}; raise the base width")
        self.c8, self.c2 = channels // 8, channels // 2
        self.theta = sn_conv(channels, self.c8, 1)
        self.phi = sn_conv(channels, self.c8, 1)
        self.g = sn_conv(channels, self.c2, 1)
        self.out = sn_conv(self.c2, channels, 1)
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        theta = self.theta(x).reshape(b, self.c8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).reshape(b, self.c8, h * w // 4)
        attn = torch.softmax(torch.bmm(theta.transpose(1, 2), phi), dim=-1)  # (b, hw, hw/4)
        g = F.max_pool2d(self.g(x), 2).reshape(b, self.c2, h * w // 4)
        # attn @ g^T, not g @ attn^T: the same products (bit-identical in fp32), but the gradient reaching
        # the softmax is then contiguous, and the softmax backward on a transposed gradient took a third
        # of the 64x64 step on CPU (bf16: 37 -> 46 images/s, docs/results/midi.md)
        o = torch.bmm(attn, g.transpose(1, 2)).transpose(1, 2)
        o = o.reshape(b, self.c2, h, w).contiguous(memory_format=_layout(x))
        return x + self.gate * self.out(o)


class MinibatchStd(nn.Module):
    """StyleGAN2's minibatch-stddev feature (Karras et al. 2020, one channel): over each group of ``group``
    consecutive images, the sd of every feature across the group, averaged over features and positions,
    appended as one constant channel to each image of the group. Consecutive, not StyleGAN2's strided
    groups: the training batches put a label's images side by side (``VariantSpec.d_mbstd_group``), and
    training checks that a batch is whole groups (``bcgan.training.loop.grouped_epoch_length``). A batch
    of any other size (D outside training) is one group, as StyleGAN2 does for a batch under its group."""

    def __init__(self, group: int):
        super().__init__()
        self.group = int(group)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        group = self.group if b % self.group == 0 else b
        y = x.float().reshape(b // group, group, c, h, w)
        sd = (y.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (groups,)
        feature = sd.repeat_interleave(group).reshape(b, 1, 1, 1).expand(b, 1, h, w)
        return torch.cat([x, feature.to(x.dtype)], dim=1).contiguous(memory_format=_layout(x))


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without affine; per-sample gamma/beta come from the conditioning vector."""

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels
        self.bn = nn.BatchNorm2d(channels, affine=False)

    def forward(self, x, gamma, beta):
        out = self.bn(x)
        return out * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]


class GenBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.cbn1 = ConditionalBatchNorm2d(cin)
        self.conv1 = sn_conv(cin, cout, 3)
        self.cbn2 = ConditionalBatchNorm2d(cout)
        self.conv2 = sn_conv(cout, cout, 3)
        self.shortcut = sn_conv(cin, cout, 1)
        self.cond_sizes = [cin, cin, cout, cout]  # gamma1, beta1, gamma2, beta2

    def forward(self, x, g1, b1, g2, b2):
        h = F.interpolate(F.relu(self.cbn1(x, g1, b1)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.cbn2(self.conv1(h), g2, b2)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DiscBlock(nn.Module):
    """Residual D block; ``first`` = SAGAN's optimised first block (no leading ReLU)."""

    def __init__(self, cin: int, cout: int, downsample: bool = True, first: bool = False):
        super().__init__()
        self.first, self.downsample = first, downsample
        self.conv1 = sn_conv(cin, cout, 3)
        self.conv2 = sn_conv(cout, cout, 3)
        self.shortcut = sn_conv(cin, cout, 1) if (downsample or cin != cout) else None

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.first:  # optimised block: pool, then 1x1
            s = self.shortcut(F.avg_pool2d(s, 2))
        elif self.shortcut is not None:
            s = self.shortcut(s)
            if self.downsample:
                s = F.avg_pool2d(s, 2)
        return h + s


def _layout(x: torch.Tensor) -> torch.memory_format:
    """channels-last if ``x`` is in it, else the default: reshaped activations follow the layout the
    nets were moved to (``bcgan.nets.precision.memory_format``) instead of falling back to slow kernels."""
    channels_last = x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
    return torch.channels_last if channels_last else torch.contiguous_format


def _stored_weight(conv: nn.Module) -> torch.Tensor:
    return conv.parametrizations.weight.original if hasattr(conv, "parametrizations") else conv.weight


def _full_precision(device: torch.device):
    """Label embeddings always run in float32, also under bf16 autocast: bf16 has 8 mantissa bits,
    so neighbouring labels (CcGAN's 0.700 and 0.704, BcGAN's low mantissa bits) would collapse."""
    return torch.autocast(device_type=device.type, enabled=False)


def _check_geometry(image_size: int, channels: int) -> int:
    if image_size < 16 or image_size & (image_size - 1):
        raise UserError(f"image_size must be a power of two >= 16 (16, 32, 64, 128), got {image_size}")
    if channels < 1:
        raise UserError(f"channels must be >= 1, got {channels}")
    return int(math.log2(image_size // 4))


def _attention_resolution(image_size: int) -> int:
    return min(32, image_size // 2)


def _check_t_range(t_range) -> tuple[float, float]:
    try:
        t_min, t_max = (float(v) for v in t_range)
    except (TypeError, ValueError):
        raise UserError(f"t_range must be (t_min, t_max), got {t_range!r}") from None
    if not (math.isfinite(t_min) and math.isfinite(t_max) and t_max > t_min):
        raise UserError(f"t_range must be finite with t_min < t_max, got {t_range!r}")
    return t_min, t_max


class _LabelMixin:
    """Shared label-domain logic of G and D (the contract's ``labels`` / ``working_range``)."""

    spec: VariantSpec
    t_range: tuple[float, float]

    def labels(self, temperatures) -> torch.Tensor:
        """Temperatures (any float tensor/array) -> this variant's label domain."""
        t = torch.as_tensor(temperatures).reshape(-1)
        if not torch.is_floating_point(t):
            t = t.to(torch.float32)
        t = t.to(torch.float32)
        kind = self.spec.kind
        if kind == "cgan":
            return bin_temperatures(t, self.t_range, self.spec.num_classes)
        if not torch.isfinite(t).all():
            raise UserError("temperatures contain NaN or inf")
        if kind == "ccgan":
            return self._unit(t).clamp(0.0, 1.0).to(torch.float32)
        if self.spec.label_scale == "minmax":
            return (1.0 + self._unit(t)).to(torch.float32)  # the control: data statistics on purpose, no clamp
        return t  # bits: the raw float32 temperature, no normalisation

    def _unit(self, t: torch.Tensor) -> torch.Tensor:
        """(T - t_min) / (t_max - t_min) in float64, the range rounded to float32 like the stored
        temperatures, so t_min -> 0 and t_max -> 1 exactly."""
        t_min, t_max = (float(torch.tensor(v, dtype=torch.float32)) for v in self.t_range)
        return (t.to(torch.float64) - t_min) / (t_max - t_min)

    def working_range(self) -> tuple[float, float, bool]:
        kind = self.spec.kind
        if kind == "cgan":
            return 0, self.spec.num_classes - 1, True
        if kind == "ccgan":
            return 0.0, 1.0, False
        if self.spec.label_scale == "minmax":
            return float(self.labels(torch.tensor([0.0]))[0]), 2.0, False
        return 0.0, float(self.t_range[1]), False

    def label_bounds(self) -> tuple[float, float]:
        """The labels of t_min and t_max: where CcGAN's vicinal sampler clips its targets ([0, 1] for ccgan,
        the data's temperature range in raw units)."""
        lo, hi = self.labels(torch.tensor(self.t_range, dtype=torch.float32)).tolist()
        return float(lo), float(hi)


# --------------------------------------------------------------------------------------------
# Generator / Discriminator
# --------------------------------------------------------------------------------------------
class Generator(_LabelMixin, nn.Module):
    def __init__(self, spec: VariantSpec, image_size: int, channels: int, z_dim: int, t_range, y2h=None):
        super().__init__()
        n = _check_geometry(image_size, channels)
        if z_dim < 1:
            raise UserError(f"z_dim must be >= 1, got {z_dim}")
        self.spec, self.image_size, self.channels, self.z_dim = spec, image_size, channels, int(z_dim)
        self.t_range = _check_t_range(t_range)
        widths = [m * channels for m in G_MULTS[-(n + 1):]]
        self.start_channels = widths[0]
        self.linear0 = sn_linear(self.z_dim, widths[0] * 16)
        self.blocks = nn.ModuleList(GenBlock(widths[i], widths[i + 1]) for i in range(n))
        attn_res = _attention_resolution(image_size)
        self.attn_after = int(math.log2(attn_res // 4)) - 1  # index of the block producing attn_res
        self.attention = SelfAttention(widths[self.attn_after + 1])
        self.bn_out = nn.BatchNorm2d(widths[-1])
        self.conv_out = sn_conv(widths[-1], 1, 3)
        self.cond_sizes = [s for blk in self.blocks for s in blk.cond_sizes]
        n_cond = sum(self.cond_sizes)
        if spec.kind == "cgan":
            self.embedding = nn.Embedding(spec.num_classes, CLASS_EMBED_DIM)
            self.cbn_head = _init(nn.Linear(CLASS_EMBED_DIM, n_cond, bias=False))
        elif spec.kind == "ccgan":
            self.embedding = FrozenY2H(y2h)
            self.cbn_head = _init(nn.Linear(self.embedding.out_features, n_cond, bias=False))
        else:
            self.embedding = CodeMLP(spec.encoding, n_cond, spec.g_hidden, final_tanh=spec.g_out == "tanh")
            self.cbn_head = None
        if spec.g_gain_bound is not None:  # not persistent: the state_dict holds trained weights only
            scale = torch.cat([torch.full((c,), float(spec.g_gain_bound) if k % 2 == 0 else 1.0)
                               for k, c in enumerate(self.cond_sizes)])
            self.register_buffer("cond_scale", scale, persistent=False)
        else:
            self.cond_scale = None

    def embed(self, labels: torch.Tensor) -> torch.Tensor:
        """(B,) labels in the variant's domain -> (B, E) conditioning vector (activity probe)."""
        return self.embedding(labels)

    def conditioning(self, labels: torch.Tensor) -> torch.Tensor:
        """(B,) labels -> (B, sum of CBN sizes) gains/biases, always in float32 (module doc)."""
        with _full_precision(labels.device):
            e = self.embed(labels)
            cond = self.cbn_head(e) if self.cbn_head is not None else e
            return cond * self.cond_scale if self.cond_scale is not None else cond

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cond = self.conditioning(labels)
        parts = torch.split(cond, self.cond_sizes, dim=1)
        h = self.linear0(z).reshape(z.shape[0], self.start_channels, 4, 4)
        h = h.contiguous(memory_format=_layout(_stored_weight(self.blocks[0].conv1)))
        for i, blk in enumerate(self.blocks):
            h = blk(h, *parts[4 * i : 4 * i + 4])
            if i == self.attn_after:
                h = self.attention(h)
        return torch.tanh(self.conv_out(F.relu(self.bn_out(h))))


class Discriminator(_LabelMixin, nn.Module):
    def __init__(self, spec: VariantSpec, image_size: int, channels: int, t_range, y2h=None):
        super().__init__()
        n = _check_geometry(image_size, channels)
        self.spec, self.image_size, self.channels = spec, image_size, channels
        self.t_range = _check_t_range(t_range)
        if spec.kind == "cgan" and spec.d_cond == "projection":
            self.embedding = ClassEmbedding(spec.num_classes, CLASS_EMBED_DIM)
        elif spec.kind == "cgan":
            self.embedding = LookupPlane(spec.num_classes, image_size)
        elif spec.kind == "ccgan":
            self.embedding = FrozenY2H(y2h)
        elif spec.d_cond == "projection":
            self.embedding = CodeMLP(spec.encoding, spec.d_embed_dim, spec.d_hidden)
        elif spec.encoding not in ("bits", "bits16"):
            raise UserError(f"variant {spec.name}: the {spec.encoding} encoding has a projection D only")
        else:
            self.embedding = CodePlane(spec.encoding, image_size, spec.d_hidden,
                                       unit_range=self.t_range if spec.d_plane_init == "unit" else None)
        self.uses_plane = spec.kind in ("cgan", "bits") and spec.d_cond == "plane"
        widths = [m * channels for m in D_MULTS[:n]]
        cin = 2 if self.uses_plane else 1
        blocks = [DiscBlock(cin, widths[0], first=True)]
        blocks += [DiscBlock(widths[i - 1], widths[i]) for i in range(1, n)]
        blocks.append(DiscBlock(widths[-1], widths[-1], downsample=False))
        self.blocks = nn.ModuleList(blocks)
        self.attn_after = int(math.log2(image_size // _attention_resolution(image_size))) - 1
        self.attention = SelfAttention(widths[self.attn_after])
        self.mbstd = MinibatchStd(spec.d_mbstd_group) if spec.d_mbstd_group else None
        self.features = (widths[-1] + (self.mbstd is not None)) * 16
        self.linear_out = sn_linear(self.features, 1)
        self.projection = None
        if not self.uses_plane:
            self.projection = sn_linear(self.embedding.out_features, self.features, bias=False)
        # the auxiliary regression head (VariantSpec.aux_epsilon): plain layers, so that it can reach the
        # raw label's scale, which spectral norm would bound
        self.regressor = None
        if spec.aux_epsilon is not None:
            self.regressor = nn.Sequential(_init(nn.Linear(self.features, 128)), nn.ReLU(), _init(nn.Linear(128, 1)))

    def forward(self, x: torch.Tensor, labels: torch.Tensor, regress: bool = False):
        """Logits (B,); with ``regress`` also the regression head's label estimate (B,) (float32)."""
        with _full_precision(labels.device):
            e = self.embedding(labels)
        h = torch.cat([x, e.to(x.dtype)], dim=1) if self.uses_plane else x
        for i, blk in enumerate(self.blocks):
            h = blk(h)
            if i == self.attn_after:
                h = self.attention(h)
        if self.mbstd is not None:
            h = self.mbstd(h)
        h = F.relu(h).reshape(h.shape[0], -1)
        out = self.linear_out(h).reshape(-1)
        if self.projection is not None:
            out = out + (h * self.projection(e)).sum(dim=1)
        if not regress:
            return out
        if self.regressor is None:
            raise UserError(f"variant {self.spec.name}: D has no regression head")
        return out, self.regressor(h).reshape(-1).float()


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def build_generator(variant: str, image_size: int, channels: int, z_dim: int, t_range, y2h=None) -> Generator:
    """Generator of ``variant`` (for ccgan ``y2h`` = the pretrained y2h MLP, frozen here)."""
    return Generator(variant_spec(variant), int(image_size), int(channels), int(z_dim), t_range, y2h)


def build_discriminator(variant: str, image_size: int, channels: int, t_range, y2h=None) -> Discriminator:
    """Discriminator of ``variant`` (for ccgan ``y2h`` may be the very object given to G)."""
    return Discriminator(variant_spec(variant), int(image_size), int(channels), t_range, y2h)


def _numel(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def count_parameters(variant: str, image_size: int, g_channels: int, d_channels: int, z_dim: int,
                     embed_dim: int = 128, regressor_width: int = 64) -> dict[str, int]:
    """Table 1 counts: gen / disc without embedding, embed_g / embed_d (ccgan: the y2h MLP;
    the ResNet34 regressor is reported separately as ``regressor``). Built on the meta device:
    no memory, milliseconds."""
    from bcgan.nets.ccgan import build_regressor, build_y2h

    global _COUNTING_ONLY
    _COUNTING_ONLY = True
    try:
        return _count(variant, image_size, g_channels, d_channels, z_dim, embed_dim, regressor_width,
                      build_regressor, build_y2h)
    finally:
        _COUNTING_ONLY = False


def _count(variant, image_size, g_channels, d_channels, z_dim, embed_dim, regressor_width, build_regressor,
           build_y2h):
    with torch.device("meta"):
        y2h = build_y2h(embed_dim) if variant_spec(variant).kind == "ccgan" else None
        g = build_generator(variant, image_size, g_channels, z_dim, (0.0, 1.0), y2h=y2h)
        d = build_discriminator(variant, image_size, d_channels, (0.0, 1.0), y2h=y2h)
        counts = {
            "gen": _numel(g) - _numel(g.embedding),
            "disc": _numel(d) - _numel(d.embedding),
            "embed_g": _numel(g.embedding),
            "embed_d": _numel(d.embedding),
            "regressor": _numel(build_regressor(image_size, embed_dim, regressor_width)) if y2h is not None else 0,
        }
    return counts
