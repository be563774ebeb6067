"""Trained-generator files: everything needed to rebuild a generator without the training config."""

from __future__ import annotations

from pathlib import Path

import torch

from bcgan.errors import UserError
from bcgan.io import save_torch
from bcgan.nets.models import build_generator

FORMAT = "bcgan-generator/1"


def save_generator(path: str | Path, generator, **metadata) -> None:
    """Write G's weights and its build arguments atomically (``metadata`` e.g. epochs, seed)."""
    payload = {
        "format": FORMAT,
        "variant": generator.spec.name,
        "build": {
            "image_size": generator.image_size,
            "channels": generator.channels,
            "z_dim": generator.z_dim,
            "t_range": list(generator.t_range),
        },
        "y2h_embed_dim": generator.embedding.out_features if generator.spec.kind == "ccgan" else None,
        "state_dict": {k: v.detach().cpu() for k, v in generator.state_dict().items()},
        "metadata": metadata,
    }
    save_torch(payload, path)


def load_generator(path: str | Path, device: str | torch.device = "cpu", variant: str | None = None):
    """Rebuild the generator saved by ``save_generator`` in eval mode; returns (G, payload).

    ``variant``: the variant the caller expects (a workflow job knows it from the file's place); a file of
    another variant (copied over it) is a UserError, not a silently mislabelled evaluation."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"{path}: generator file not found") from None
    except Exception as exc:  # truncated or not a torch file
        raise UserError(f"{path}: not a readable generator file ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path}: not a bcgan generator file (expected format {FORMAT})")
    if variant is not None and payload.get("variant") != variant:
        raise UserError(f"{path}: a generator of variant {payload.get('variant')}, not of {variant}")
    _check_finite(path, payload)
    y2h = None
    if payload["y2h_embed_dim"] is not None:
        from bcgan.nets.ccgan import build_y2h

        y2h = build_y2h(payload["y2h_embed_dim"])
    generator = build_generator(payload["variant"], y2h=y2h, **payload["build"])
    generator.load_state_dict(payload["state_dict"])
    return generator.to(device).eval(), payload


def _check_finite(path, payload: dict) -> None:
    """UserError naming the file when a weight or t_range is NaN or infinite: such a G makes NaN
    images, which every later stage would score silently."""
    import math

    t_range = payload.get("build", {}).get("t_range", [])
    if not all(isinstance(t, (int, float)) and math.isfinite(t) for t in t_range):
        raise UserError(f"{path}: generator t_range {t_range} is not finite")
    for name, tensor in payload.get("state_dict", {}).items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise UserError(f"{path}: generator weight {name} holds NaN or infinite values")
