"""How the variants are called and ordered in tables and figures (the paper's wording and order).

Tables name a variant as the paper's Table 1 does ("CGAN 64 classes"); figure panels use the
shorter title form ("CGAN, 64 classes"). A variant missing here is shown by its own name.
"""

from __future__ import annotations

TABLE_LABELS = {"ccgan": "CcGAN", "cgan64": "CGAN 64 classes", "cgan256": "CGAN 256 classes",
                "cgan1024": "CGAN 1024 classes", "bcgan": "BcGAN", "bcgan-proj": "BcGAN, projection D"}


def label(variant: str) -> str:
    """Human-readable name of a variant (the paper's wording)."""
    return TABLE_LABELS.get(variant, variant)


FIGURE_TITLES = {"ccgan": "CcGAN", "cgan64": "CGAN, 64 classes", "cgan256": "CGAN, 256 classes",
                 "cgan1024": "CGAN, 1024 classes", "bcgan": "BcGAN", "bcgan-proj": "BcGAN, projection D",
                 "bcgan16": "BcGAN (float16)"}
ORDER = ["ccgan", "cgan64", "cgan256", "cgan1024", "bcgan", "bcgan-proj", "bcgan16"]


def title(variant: str) -> str:
    """A variant's name on a figure panel or legend."""
    return FIGURE_TITLES.get(variant, variant)


def variant_rank(variant: str, order=ORDER) -> int:
    """Position of a variant in the paper's order (figures, tables); unknown variants come last."""
    return order.index(variant) if variant in order else len(order)


# How an arm trains, from its name alone (torch-free: the Snakefile plans with it); tests/test_encodings.py
# checks these against the variant registry (bcgan.nets.models: VariantSpec.kind and .loss).
def base_arm(variant: str) -> str:
    """The arm whose nets a loss arm shares, widths included: ``X-vicinal`` -> X, ``ccgan-hinge`` -> ccgan."""
    for suffix in ("-vicinal", "-hinge"):
        if variant.endswith(suffix):
            return variant.removesuffix(suffix)
    return variant


def uses_y2h(variant: str) -> bool:
    """Conditioned on CcGAN's pretrained y2h (ccgan, ccgan-hinge)."""
    return base_arm(variant) == "ccgan"


def vicinal_loss(variant: str) -> bool:
    """Trained with CcGAN's vicinal loss (ccgan, every ``-vicinal`` arm): takes the ccgan settings."""
    return variant == "ccgan" or variant.endswith("-vicinal")
