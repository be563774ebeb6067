"""The variant registry: what every arm is, in one entry, without torch.

Why one place: an arm (its label code, its D's conditioning, its loss, its place and its names) used to be
written again in the networks, the config schema, the Snakefile, the figures and the tables. Everything now
reads this registry: ``bcgan.nets.models`` builds the nets from a spec, config validation accepts the
registered names, the Snakefile plans with it (it imports no torch), and figures and tables take titles and
order from it. A new arm of an existing kind is one ``register`` call here (and, to run it, one config line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bcgan.errors import UserError

KINDS = ("cgan", "ccgan", "bits")
GROUPS = ("paper", "workflow", "ablation", "study")


@dataclass(frozen=True)
class VariantSpec:
    """What a variant name means: how labels are made and which conditioning modules are built.

    kind: "cgan" (binned classes, lookup tables), "ccgan" (normalised labels, frozen y2h),
    "bits" (float labels through BcGAN's MLPs in G and D, the label coded by ``encoding``, a name in
    ``bcgan.nets.embeddings.ENCODINGS``: the IEEE 754 bits, the value itself, ...).

    loss: "hinge" (SAGAN's, every arm but CcGAN) or "vicinal" (CcGAN's SVDL/HVDL with noisy target
    labels, ``bcgan.nets.losses``), in the arm's own label units. label_scale: "raw" (the float
    temperature as it is) or "minmax" (1 + (T - t_min) / (t_max - t_min), a control that uses the
    data's range on purpose; 1 + so that t_min is not 0, which the log codes send to their ±0 code).
    g_gain_bound: None, or b: G's CBN gains become 1 + b tanh(.) in (1 - b, 1 + b) (biases stay in
    (-1, 1)), so the label cannot switch the noise off (``scalar-boundgain-proj``).
    mode_seeking: weight of the flip-invariant mode-seeking term in G's loss (Mao et al. 2019,
    ``bcgan.nets.losses.mode_seeking_loss``); G's step then draws two noises per label. 0: none.
    d_mbstd_group: 0, or g: D appends StyleGAN2's minibatch-stddev feature over groups of g consecutive
    images (``bcgan.nets.models.MinibatchStd``), and training batches are made of groups of g images that
    share one label, real and fake alike (``bcgan.training.loop.grouped_permutation``), so that D sees a
    label's spread.
    aux_epsilon: None, or ε in the label's units: D gets a regression head that predicts the raw label
    from its features, trained on real images only with the ε-insensitive L1 loss, and G is penalised by
    the head's ε-insensitive L1 error on its fakes (CcGAN-AVAR's auxiliary regression on the raw label;
    ``bcgan.nets.losses.insensitive_l1``), both with weight 1.

    group: "paper" (the paper's five), "workflow" (may be trained by ``all``: ``models.variants``),
    "ablation" or "study" (study arms only). title / table_label: its name on figures / in tables (default:
    the title, then the name). shares_nets_with: the arm whose nets (widths included) a loss arm reuses.
    """

    name: str
    kind: str
    num_classes: int | None = None
    encoding: str = "bits"
    # first-layer widths (sign, exponent, mantissa) of the bit MLPs; chosen so that at the paper
    # widths EmbedG ~ 1.18M and EmbedD ~ 308K (Table 1), see bcgan.cli.params.DIFFERENCES
    g_hidden: tuple[int, int, int] = (16, 128, 128)
    d_hidden: tuple[int, int, int] = (2, 8, 8)
    # how the bit embedding conditions G and D (README, "Why BcGAN collapsed"): g_out "tanh" = the
    # MLP's second layer ends in tanh, so every CBN gain lies in (0, 2) and bias in (-1, 1); "linear"
    # = no final tanh, the second layer is an unbounded linear CBN head as in CGAN / CcGAN (same
    # parameters). d_cond "plane" = extra L x L input plane, "projection" = projection of a
    # d_embed_dim bit embedding (as CcGAN's D); d_plane_init "default" = torch's Linear init,
    # "unit" = scaled so the plane varies with T by O(1), like a ±1 image, instead of ~0.1.
    g_out: str = "tanh"
    d_cond: str = "plane"
    d_plane_init: str = "default"
    d_embed_dim: int = 128
    loss: str = "hinge"
    label_scale: str = "raw"
    g_gain_bound: float | None = None
    mode_seeking: float = 0.0
    d_mbstd_group: int = 0
    aux_epsilon: float | None = None
    # where it belongs and how it is called (compare=False: not what the nets are)
    group: str = field(default="study", compare=False)
    title: str | None = field(default=None, compare=False)
    table_label: str | None = field(default=None, compare=False)
    shares_nets_with: str | None = field(default=None, compare=False)
    notes: str = field(default="", compare=False)

    def __post_init__(self):
        if self.loss not in ("hinge", "vicinal") or self.label_scale not in ("raw", "minmax"):
            raise UserError(f"variant {self.name}: loss {self.loss!r} / label_scale {self.label_scale!r} unknown")
        if self.kind not in KINDS or self.group not in GROUPS:
            raise UserError(f"variant {self.name}: kind {self.kind!r} / group {self.group!r} unknown")


REGISTRY: dict[str, VariantSpec] = {}


def register(*specs: VariantSpec) -> None:
    """Add arms to the registry; a name registered twice is a UserError."""
    for spec in specs:
        if spec.name in REGISTRY:
            raise UserError(f"variant {spec.name!r} is registered twice")
        if spec.shares_nets_with is not None and spec.shares_nets_with not in REGISTRY:
            raise UserError(f"variant {spec.name!r} shares the nets of {spec.shares_nets_with!r}, "
                            "which is not registered before it")
        REGISTRY[spec.name] = spec


def variant_spec(variant: str) -> VariantSpec:
    spec = REGISTRY.get(variant)
    if spec is None:
        raise UserError(f"unknown variant {variant!r}; known: {', '.join(REGISTRY)}")
    return spec


def names(*groups: str) -> list[str]:
    """Registered names of the given groups (all where none is given), in registration order."""
    return [n for n, s in REGISTRY.items() if not groups or s.group in groups]


# the paper's five (Table 1 order), and the workflow's own variants that `all` may train
register(
    VariantSpec("ccgan", "ccgan", loss="vicinal", group="paper", title="CcGAN"),
    VariantSpec("cgan64", "cgan", num_classes=64, group="paper", title="CGAN, 64 classes",
                table_label="CGAN 64 classes"),
    VariantSpec("cgan256", "cgan", num_classes=256, group="paper", title="CGAN, 256 classes",
                table_label="CGAN 256 classes"),
    VariantSpec("cgan1024", "cgan", num_classes=1024, group="paper", title="CGAN, 1024 classes",
                table_label="CGAN 1024 classes"),
    VariantSpec("bcgan", "bits", group="paper", title="BcGAN"),
    # BcGAN with D conditioned by projection, "as done in CcGAN" (paper §2), instead of Table 1's
    # input plane, with which G collapses (README, "Why BcGAN collapsed")
    VariantSpec("bcgan-proj", "bits", d_cond="projection", group="workflow", title="BcGAN, projection D"),
    # not in the paper; the one-line extension the design asks for
    VariantSpec("bcgan16", "bits", encoding="bits16", group="workflow", title="BcGAN (float16)",
                table_label="bcgan16"),
)
# BcGAN conditioning alternatives, trained only as study arms (workflow/rules/study.smk), never by `all`
register(
    VariantSpec("bcgan-linear", "bits", g_out="linear", group="ablation"),
    VariantSpec("bcgan-linear-unitplane", "bits", g_out="linear", d_plane_init="unit", group="ablation"),
    VariantSpec("bcgan-linear-proj", "bits", g_out="linear", d_cond="projection", group="ablation"),
    VariantSpec("bcgan-unitplane", "bits", d_plane_init="unit", group="ablation"),
)
# the study's further arms (docs/results/mini-study.md): CGAN with a projection D as the official improved-CcGAN
# cGAN, BcGAN's float16 bits with a projection D, and the control: the raw float T through BcGAN's widths
register(
    VariantSpec("cgan64-proj", "cgan", num_classes=64, d_cond="projection"),
    VariantSpec("cgan256-proj", "cgan", num_classes=256, d_cond="projection"),
    VariantSpec("cgan1024-proj", "cgan", num_classes=1024, d_cond="projection"),
    VariantSpec("bcgan16-proj", "bits", encoding="bits16", d_cond="projection"),
    VariantSpec("scalar-proj", "bits", encoding="float", d_cond="projection"),
    # issue 30, the 2x2 of conditioning x loss: BcGAN's nets with CcGAN's loss, CcGAN's nets with BcGAN's
    VariantSpec("bcgan-proj-vicinal", "bits", d_cond="projection", loss="vicinal",
                shares_nets_with="bcgan-proj"),
    VariantSpec("ccgan-hinge", "ccgan", shares_nets_with="ccgan"),
    # issue 30, encodings of the float as it is (bcgan.nets.embeddings.ENCODINGS), projection D
    VariantSpec("logfourier-proj", "bits", encoding="logfourier", d_cond="projection"),
    VariantSpec("floatparts-proj", "bits", encoding="floatparts", d_cond="projection"),
    VariantSpec("scalar-boundgain-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5),
    VariantSpec("ple-proj", "bits", encoding="ple", d_cond="projection"),
    # ... the control that normalises with the data's range, and each with CcGAN's vicinal loss
    VariantSpec("logfourier-norm-proj", "bits", encoding="logfourier", d_cond="projection", label_scale="minmax"),
    VariantSpec("scalar-boundgain-norm-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                label_scale="minmax"),
    # ... and the closest candidate with a mode-seeking term against the collapse above Tc
    VariantSpec("scalar-boundgain-ms-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                mode_seeking=1.0),
    # issue 39, the width candidates (settings fixed in docs/methods.md before they ran): the term's
    # weight 0.1 and 0.3; a minibatch-stddev D on label-sharing groups of 4, without and with the term;
    # and the term with an ε-insensitive auxiliary regression of the raw label (ε = 0.2 in T units)
    VariantSpec("scalar-boundgain-ms01-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                mode_seeking=0.1),
    VariantSpec("scalar-boundgain-ms03-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                mode_seeking=0.3),
    VariantSpec("scalar-boundgain-mbstd-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                d_mbstd_group=4),
    VariantSpec("scalar-boundgain-ms-mbstd-proj", "bits", encoding="float", d_cond="projection",
                g_gain_bound=0.5, mode_seeking=1.0, d_mbstd_group=4),
    VariantSpec("scalar-boundgain-ms-aux-proj", "bits", encoding="float", d_cond="projection", g_gain_bound=0.5,
                mode_seeking=1.0, aux_epsilon=0.2),
    # the one combination the width study's rule allows (docs/results/width.md): minibatch stddev with the term
    # missed on the wide side only; the auxiliary regression is the candidate that narrowed
    VariantSpec("scalar-boundgain-ms-aux-mbstd-proj", "bits", encoding="float", d_cond="projection",
                g_gain_bound=0.5, mode_seeking=1.0, d_mbstd_group=4, aux_epsilon=0.2),
    VariantSpec("scalar-proj-vicinal", "bits", encoding="float", d_cond="projection", loss="vicinal",
                shares_nets_with="scalar-proj"),
    VariantSpec("logfourier-proj-vicinal", "bits", encoding="logfourier", d_cond="projection", loss="vicinal",
                shares_nets_with="logfourier-proj"),
    VariantSpec("floatparts-proj-vicinal", "bits", encoding="floatparts", d_cond="projection", loss="vicinal",
                shares_nets_with="floatparts-proj"),
    VariantSpec("scalar-boundgain-proj-vicinal", "bits", encoding="float", d_cond="projection",
                g_gain_bound=0.5, loss="vicinal",
                shares_nets_with="scalar-boundgain-proj"),
    VariantSpec("ple-proj-vicinal", "bits", encoding="ple", d_cond="projection", loss="vicinal",
                shares_nets_with="ple-proj"),
)
