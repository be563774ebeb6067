"""``bcgan params``: our parameter counts per variant beside the paper's Table 1.

Why: parameter counts are part of the paper's result (Table 1). This command builds every variant
on the meta device (no memory, seconds) and prints / writes Gen, Disc (both WITHOUT their
embedding, as the paper counts), EmbedG, EmbedD and, for CcGAN, the ResNet34 regressor.

Sizes come from the preset (``models`` and ``ccgan`` sections of presets.yaml), the same values the
workflow trains with; options override them. The paper gives no widths: ``paper`` uses, for CcGAN,
the official CcGAN SAGAN-128 widths (G and D base 64, z 128), which reproduce the paper's CcGAN Gen
exactly, and for CGAN/BcGAN base widths G 28 / D 26 (z 128), the widths at which our backbone
reproduces the paper's CGAN Gen/Disc within 0.2 %.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, replace

from bcgan.config import presets, resolve
from bcgan.errors import UserError
from bcgan.io import atomic_path
from bcgan.nets.models import VARIANTS, count_parameters
from bcgan.nets.names import base_arm
from bcgan.tables import format_count

log = logging.getLogger(__name__)

# Table 1 of Bompas & Sandfeld (numbers as printed: M = 1e6, K/k = 1e3).
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "ccgan": {"gen": 33.48e6, "disc": 41.60e6, "embed_g": 67e3, "embed_d": 67e3, "regressor": 21.61e6},
    "cgan64": {"gen": 7.23e6, "disc": 6.36e6, "embed_g": 8.2e3, "embed_d": 1.05e6, "regressor": 0},
    "cgan256": {"gen": 7.23e6, "disc": 6.36e6, "embed_g": 32.8e3, "embed_d": 4.2e6, "regressor": 0},
    "cgan1024": {"gen": 7.23e6, "disc": 6.36e6, "embed_g": 132e3, "embed_d": 16.8e6, "regressor": 0},
    "bcgan": {"gen": 6.37e6, "disc": 6.57e6, "embed_g": 1.18e6, "embed_d": 308e3, "regressor": 0},
}

# One sentence per remaining difference at the paper preset (for the README and Table 1).
DIFFERENCES: dict[str, str] = {
    "ccgan_backbone": (
        "CcGAN's backbone is 4-5x larger than the others because the paper used the official CcGAN "
        "SAGAN-128 (base width 64 in G and D, z 128) for it: with those widths our backbone gives "
        "Gen = 33,483,714, the paper's 33.48M exactly."
    ),
    "ccgan_disc": (
        "Our CcGAN Disc is 40.55M instead of 41.60M because the official last D block creates a "
        "1x1 shortcut conv (1024x1024 + 1024 = 1,049,600 parameters) that its forward never uses; "
        "we do not create unused parameters (40,551,074 + 1,049,600 = 41,600,674 = the paper's number)."
    ),
    "ccgan_embedding": (
        "CcGAN's embedding is the y2h MLP (67,328 parameters, the paper's 67k) inside G and D; the "
        "ResNet34 regressor that defines its target space (21,609,793, the paper's 21.61M) is "
        "pretrained separately and reported in its own column."
    ),
    "cgan_widths": (
        "The paper does not state the CGAN/BcGAN widths; base width 28 (G) and 26 (D) make our "
        "backbone match CGAN Gen/Disc within 0.2 %, and the CGAN lookup tables (K x 128 in G, "
        "K x 128^2 in D) match EmbedG/EmbedD exactly."
    ),
    "bcgan_gen": (
        "BcGAN Gen is 6.69M instead of 6.37M (+5 %) because we give BcGAN the same backbone and "
        "widths as CGAN, minus the conditional-BN projection head (552K), which for BcGAN is the "
        "second layer of the bit MLP and so counts as embedding; the paper's BcGAN G was slightly "
        "narrower in some way the paper does not specify."
    ),
    "bcgan_disc": (
        "BcGAN Disc is 6.35M instead of 6.57M (-3 %) because our BcGAN D uses exactly the CGAN D "
        "backbone (conditioning as an extra 128x128 input plane), the only difference being the "
        "module that makes the plane; the paper does not say where its extra 0.21M come from."
    ),
    "bcgan_embed_g": (
        "BcGAN EmbedG = 1,181,432 (paper 1.18M): first layers sign 1->16, exponent 8->128, "
        "mantissa 23->128, tanh, then one Linear 272->4312 with tanh whose output is the gamma/beta "
        "of all 10 conditional-BN layers of G (2 x 77 x 28 channels)."
    ),
    "bcgan_embed_d": (
        "BcGAN EmbedD = 311,564 vs 308K (+1.2 %): first layers sign 1->2, exponent 8->8, mantissa "
        "23->8, tanh, then Linear 18->128x128 with tanh giving D's extra input plane; 18 hidden "
        "units is the integer closest to the paper's size (17 would give 295K)."
    ),
    "bcgan_proj": (
        "bcgan-proj (not in Table 1) is BcGAN with the same G and a D conditioned by projection, as "
        "CcGAN's D: a bit MLP (1->2, 8->8, 23->8, tanh, 18->128, tanh; EmbedD 2.7K) whose output a "
        "spectral-normed Linear 128->6656 projects onto D's features; that Linear (852K) counts as "
        "backbone, so Disc is 7.20M, +9.6 % over the paper's BcGAN Disc."
    ),
    "cgan_proj": (
        "cgan64-proj, cgan256-proj and cgan1024-proj (study arms, not in Table 1) are CGAN-K with the "
        "same G and a D conditioned by projection, as the official improved-CcGAN cGAN: a K x 128 class "
        "table (EmbedD 8.2K / 32.8K / 131.1K instead of K x 128^2) projected onto D's features by the "
        "same spectral-normed Linear 128->6656 as bcgan-proj (852K, backbone), so Disc is 7.20M."
    ),
    "bcgan16_proj": (
        "bcgan16-proj (study arm) is bcgan-proj on the float16 bits of T (sign 1, exponent 5, mantissa "
        "10 bits instead of 1, 8, 23) with the same widths: EmbedG 1,179,384, EmbedD 2,572."
    ),
    "scalar_proj": (
        "scalar-proj (study arm, the control for the bits) feeds the raw float32 T itself, no bits and "
        "no normalisation, through BcGAN's widths: in G Linear 1->272, tanh, Linear 272->4312, tanh "
        "(EmbedG 1,177,720); in D Linear 1->18, tanh, Linear 18->128, tanh (EmbedD 2,468), projected "
        "as in bcgan-proj."
    ),
    "loss_2x2": (
        "bcgan-proj-vicinal is bcgan-proj's G and D exactly (same counts) trained with CcGAN's soft vicinal D "
        "loss and target-label noise, sigma and kappa by CcGAN's rule on the raw temperatures; ccgan-hinge is "
        "CcGAN's G and D with its y2h and widths (same counts as ccgan) trained with the plain hinge loss."
    ),
    "logfourier_proj": (
        "logfourier-proj codes x = log2|T| (±0 -> -149) as sign(T), x/128 and sin/cos(2 pi x/P) for P = 2, 4, "
        "..., 512 (20 inputs) through BcGAN's widths in one group: G Linear 20->272, tanh, Linear 272->4312, "
        "tanh (EmbedG 1,182,888); D Linear 20->18, tanh, Linear 18->128, tanh (EmbedD 2,810), projection D."
    ),
    "floatparts_proj": (
        "floatparts-proj feeds the float's own parts as numbers, sign bit as ±1, exponent e/128 and mantissa "
        "m in [1, 2) (|T| = m 2^e), each through its bit group's width: G 1->16, 1->128, 1->128, tanh, "
        "272->4312, tanh (EmbedG 1,177,720); D 1->2, 1->8, 1->8, tanh, 18->128, tanh (EmbedD 2,468)."
    ),
    "scalar_boundgain_proj": (
        "scalar-boundgain-proj is scalar-proj (same parameters: EmbedG 1,177,720, EmbedD 2,468) with G's "
        "conditional-BN gains halved, 1 + 0.5 tanh(.) in (0.5, 1.5), so the label cannot switch the noise off."
    ),
    "ple_proj": (
        "ple-proj codes sign(T) and the piecewise-linear encoding of log2|T| over the 277 unit bins "
        "[-149, 128) (278 inputs): G Linear 278->272, tanh, 272->4312, tanh (EmbedG 1,253,064, +6 % over "
        "bcgan's); D Linear 278->18, tanh, 18->128, tanh (EmbedD 7,454)."
    ),
    "encoding_controls": (
        "logfourier-norm-proj and scalar-boundgain-norm-proj are logfourier-proj and scalar-boundgain-proj (same "
        "counts) on 1 + (T - t_min)/(t_max - t_min), the data's range on purpose; every <arm>-vicinal is <arm> "
        "(same counts) trained with CcGAN's vicinal loss; scalar-boundgain-ms-proj is scalar-boundgain-proj (same "
        "counts) with a flip-invariant mode-seeking term in G's loss."
    ),
    "width_candidates": (
        "scalar-boundgain-ms01-proj and scalar-boundgain-ms03-proj are scalar-boundgain-ms-proj (same counts) with "
        "the term's weight 0.1 and 0.3; scalar-boundgain-mbstd-proj and scalar-boundgain-ms-mbstd-proj add "
        "StyleGAN2's minibatch-stddev channel to D's last 4x4 map (D's output and projection layers take 16 more "
        "inputs); scalar-boundgain-ms-aux-proj adds a regression head on D's features (Linear features->128, "
        "ReLU, 128->1); scalar-boundgain-ms-aux-mbstd-proj has both."
    ),
}

COLUMNS = ["variant", "gen", "disc", "embed_g", "embed_d", "regressor",
           "paper_gen", "paper_disc", "paper_embed_g", "paper_embed_d", "paper_regressor",
           "image_size", "g_channels", "d_channels", "z_dim"]


@dataclass(frozen=True)
class Sizes:
    """What a parameter count depends on, for one variant."""

    image_size: int
    g_channels: int
    d_channels: int
    z_dim: int
    embed_dim: int
    regressor_width: int


def preset_sizes(preset: str, variants=VARIANTS) -> dict[str, Sizes]:
    """Each variant's sizes as the workflow builds it under ``preset``."""
    cfg = resolve({"preset": preset})
    models, ccgan = cfg["models"], cfg["ccgan"]

    def width(net, v):  # a loss arm (ccgan-hinge, X-vicinal) has its base arm's widths, as in the workflow
        widths = models[f"{net}_channels"]
        return widths.get(v, widths.get(base_arm(v), widths["default"]))

    return {
        v: Sizes(cfg["data"]["size"], width("g", v), width("d", v), models["z_dim"], ccgan["embed_dim"],
                 ccgan["regressor_width"])
        for v in variants
    }


def parameter_table(sizes: dict[str, Sizes]) -> list[dict]:
    """Rows of ours-vs-paper counts, one per variant."""
    rows = []
    for v, s in sizes.items():
        ours = count_parameters(v, s.image_size, s.g_channels, s.d_channels, s.z_dim, s.embed_dim,
                                s.regressor_width)
        paper = PAPER_TABLE1.get(v, {})
        row = {"variant": v, **ours}
        for key in ("gen", "disc", "embed_g", "embed_d", "regressor"):
            row[f"paper_{key}"] = paper.get(key, "")
        row.update(image_size=s.image_size, g_channels=s.g_channels, d_channels=s.d_channels, z_dim=s.z_dim)
        rows.append(row)
    return rows


def parse_widths(items: list[str]) -> dict[str, tuple[int, int]]:
    """``variant=G:D`` items -> {variant: (G, D)}."""
    widths = {}
    for item in items:
        try:
            variant, pair = item.split("=")
            g, d = (int(x) for x in pair.split(":"))
        except ValueError:
            raise UserError(f"--widths item {item!r} must look like bcgan=28:26") from None
        widths[variant] = (g, d)
    return widths


def format_table(rows: list[dict]) -> str:
    w = max([13, *(len(r["variant"]) for r in rows)])
    head = f"{'variant':<{w}} {'L':>4} {'gch':>4} {'dch':>4} {'z':>4}  " + "  ".join(
        f"{k:>17}" for k in ("Gen ours/paper", "Disc ours/paper", "EmbedG ours/paper", "EmbedD ours/paper", "ResNet ours/paper"))
    lines = [head]
    for r in rows:
        cells = [f"{format_count(r[k])}/{format_count(r['paper_' + k])}" for k in ("gen", "disc", "embed_g", "embed_d", "regressor")]
        lines.append(f"{r['variant']:<{w}} {r['image_size']:>4} {r['g_channels']:>4} {r['d_channels']:>4} {r['z_dim']:>4}  "
                     + "  ".join(f"{c:>17}" for c in cells))
    return "\n".join(lines)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("params", help="parameter counts per variant beside the paper's Table 1")
    p.add_argument("--preset", default="paper", choices=sorted(presets()), help="sizes to count (default paper)")
    p.add_argument("--variants", nargs="+", help="variants to count (default: the preset's)")
    p.add_argument("--image-size", type=int, help="override L for every variant")
    p.add_argument("--z-dim", type=int, help="override z dimension for every variant")
    p.add_argument("--widths", nargs="+", default=[], metavar="VARIANT=G:D",
                   help="override G/D base widths of the named variants, e.g. bcgan=28:26")
    p.add_argument("--embed-dim", type=int, help="override CcGAN's embedding dimension")
    p.add_argument("--regressor-width", type=int, help="override the ResNet34 regressor's base width")
    p.add_argument("--out", help="also write the table as CSV here")
    p.add_argument("--why", action="store_true", help="print the sentences explaining each difference")
    p.set_defaults(func=run)


def run(args) -> int:
    sizes = preset_sizes(args.preset, args.variants or resolve({"preset": args.preset})["models"]["variants"])
    overrides = {"image_size": args.image_size, "z_dim": args.z_dim, "embed_dim": args.embed_dim,
                 "regressor_width": args.regressor_width}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    widths = parse_widths(args.widths)
    unknown = sorted(set(widths) - set(sizes))
    if unknown:
        raise UserError(f"--widths names variants not counted: {', '.join(unknown)}")
    for v in sizes:
        extra = dict(zip(("g_channels", "d_channels"), widths[v])) if v in widths else {}
        sizes[v] = replace(sizes[v], **overrides, **extra)
    rows = parameter_table(sizes)
    print(format_table(rows))
    if args.why:
        for key, sentence in DIFFERENCES.items():
            print(f"- {key}: {sentence}")
    if args.out:
        with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        log.info("wrote %s", args.out)
    return 0
