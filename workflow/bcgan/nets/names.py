"""How the variants are called and ordered in tables and figures, and how an arm trains, from the registry.

Tables name a variant as the paper's Table 1 does ("CGAN 64 classes"); figure panels use the shorter title
form ("CGAN, 64 classes"); both are fields of the variant's entry in ``bcgan.variants`` (torch-free: the
Snakefile plans with these). A name that is not registered is shown as itself.
"""

from __future__ import annotations

from bcgan.variants import REGISTRY, names, variant_spec


def label(variant: str) -> str:
    """Human-readable name of a variant in a table (the paper's wording)."""
    spec = REGISTRY.get(variant)
    return variant if spec is None else spec.table_label or spec.title or variant


def title(variant: str) -> str:
    """A variant's name on a figure panel or legend."""
    spec = REGISTRY.get(variant)
    return variant if spec is None else spec.title or variant


ORDER = names("paper", "workflow")  # the paper's order, then the workflow's own variants


def variant_rank(variant: str, order=ORDER) -> int:
    """Position of a variant in the paper's order (figures, tables); unknown variants come last."""
    return order.index(variant) if variant in order else len(order)


def base_arm(variant: str) -> str:
    """The arm whose nets a loss arm shares, widths included: ``X-vicinal`` -> X, ``ccgan-hinge`` -> ccgan."""
    return variant_spec(variant).shares_nets_with or variant


def uses_y2h(variant: str) -> bool:
    """Conditioned on CcGAN's pretrained y2h (ccgan, ccgan-hinge)."""
    return variant_spec(variant).kind == "ccgan"


def vicinal_loss(variant: str) -> bool:
    """Trained with CcGAN's vicinal loss (ccgan, every ``-vicinal`` arm): takes the ccgan settings."""
    return variant_spec(variant).loss == "vicinal"
