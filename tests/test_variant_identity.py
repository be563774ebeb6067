"""The label-encoding registry changed no existing variant: weights and outputs are bit-identical.

Why: issue 30 moved every label encoding into one registry (``bcgan.nets.embeddings.ENCODINGS``); the
trained results of the earlier arms stay valid only if each of them builds the very same G and D.

How the references were produced: :func:`fingerprint` below, unchanged, was run with the parent commit's
package (``git worktree add /tmp/emb-parent 7bcf639``;
``PYTHONPATH=/tmp/emb-parent/workflow python tests/test_variant_identity.py``, torch 2.13.0+cpu, one
thread, fp32) and its printed SHA-256 digests pasted into ``REFERENCE``. Each digest covers G's and D's
state_dict (names, shapes and bytes: parameters and spectral-norm / BatchNorm buffers) after a fixed-seed
build, then G(z, y) and D(x, y) for fixed z, x and labels in train mode, then the state_dicts again (the
forward pass updates spectral norm's vectors and BatchNorm's running statistics). ``TRAINING_REFERENCE``
likewise, from :func:`training_fingerprint` (one epoch of 4 iterations, CPU fp32, one thread).
"""

from __future__ import annotations

import hashlib

import pytest
import torch

from bcgan.nets.ccgan import build_y2h
from bcgan.nets.models import build_discriminator, build_generator

T_RANGE = (0.05, 4.5)
TEMPERATURES = [0.05, 0.7, 1.0, 2.0, 2.269185314, 3.999, 4.5]


def _update(h, tensor: torch.Tensor) -> None:
    t = tensor.detach().contiguous().cpu()
    h.update(f"{t.dtype}{tuple(t.shape)}".encode())
    h.update(t.numpy().tobytes())


def _state(h, net) -> None:
    for name, value in net.state_dict().items():
        h.update(name.encode())
        _update(h, value)


def fingerprint(variant: str) -> str:
    """SHA-256 of a fixed-seed G and D of ``variant`` (L 16, widths 8, z 8) and of their outputs."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    G = build_generator(variant, 16, 8, 8, T_RANGE, y2h=y2h)
    D = build_discriminator(variant, 16, 8, T_RANGE, y2h=y2h)
    h = hashlib.sha256()
    _state(h, G)
    _state(h, D)
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(len(TEMPERATURES), 8, generator=gen)
    x = torch.rand(len(TEMPERATURES), 1, 16, 16, generator=gen) * 2 - 1
    labels = G.labels(torch.tensor(TEMPERATURES))
    with torch.no_grad():
        _update(h, G(z, labels))
        _update(h, D(x, labels))
    _state(h, G)
    _state(h, D)
    return h.hexdigest()


REFERENCE = {
    "ccgan": "8fb608b2807cd9cc492591b909a11364521897fafe2eeb40fa7b81674814d113",
    "cgan64": "98e92762db65a6b6493277bbbfc6622d11e467f55f312aafcc6aaf3bea6290a4",
    "cgan256": "7abf66048f6389fe5fd11f0f7c635694b84abfc7242f277e2f07a9e5f0b20598",
    "cgan1024": "00dca2c00c5b057ce2247a5a6c8763c1908642f3c116369f59a4ab6055b3efae",
    "bcgan": "1267e11d488e606436e10df113a4268fca285688a348e431deef16e04d3251d0",
    "bcgan-proj": "daa74f6e112efc0ff962b4589949f7753a83300d9ff1a12014552a5283b49064",
    "bcgan16": "cf81750e67364da4a512fd66dc8c8e045eef46d2ad3bfedc798d52744b7b79fd",
    "bcgan-linear": "cd7870f31fb222219be5d0423ce3126caf0257075ebc8cac3e4181abbca816b7",
    "bcgan-linear-unitplane": "57b93a970d044c56f94eba866fdfb9b33ec70f5f5ad12228b49e724cd4f332d5",
    "bcgan-linear-proj": "7527944fa600fe06b63b8d98c009abbf5b322dd5d4e892b2161819bd7c50dfa0",
    "bcgan-unitplane": "f7d8ac48a539a257949d858b0816144ce0c48dad7364d9d55d95084459062af5",
    "cgan64-proj": "37b2a972e27f528a71f3168a388bd36b4f67cdef890d0442185f6ad780ea8281",
    "cgan256-proj": "d44b8ecbe72c9996cdfb38d2a0e3aad2bf08729a18400de06651f453eeb3d5a8",
    "cgan1024-proj": "6b9e8cf460bf758001c4974bf14159c99ca0f70176c7c589fee6d1b18c69df1f",
    "bcgan16-proj": "d9bdd776bd1c6584078a7ddd17fa45120b1385e2c589eb2949ca6e0e1d8c72a1",
    "scalar-proj": "e84d04a07173438ffde3d28681e310f3272531065d6bc1af8cb751af081dbbbe",
}


@pytest.mark.parametrize("variant", sorted(REFERENCE))
def test_existing_variants_are_bit_identical(variant):
    assert fingerprint(variant) == REFERENCE[variant]


def test_every_earlier_variant_is_covered():
    from bcgan.nets.models import ABLATION_SPECS, STUDY_SPECS, VARIANT_SPECS

    earlier = {*VARIANT_SPECS, *ABLATION_SPECS, *STUDY_SPECS} & set(REFERENCE)
    assert len(earlier) == len(REFERENCE) == 16


def training_fingerprint(variant: str) -> str:
    """SHA-256 of one epoch of tiny training (4 iterations): loss rows, then G's and D's state_dicts."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import labelled_images

    from bcgan.training.loop import TrainConfig, train_gan

    torch.set_num_threads(1)
    images, t = labelled_images(32, 16, T_RANGE, 0)
    cfg = TrainConfig(variant=variant, g_channels=8, d_channels=8, z_dim=16, t_range=T_RANGE, epochs=1, batch_size=8,
                      seed=7)
    torch.manual_seed(3)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    G, D, res = train_gan(images, t, cfg, y2h=y2h, progress=False)
    h = hashlib.sha256(repr(res.rows).encode())
    for k, x in list(G.state_dict().items()) + list(D.state_dict().items()):
        h.update(k.encode())
        h.update(x.detach().numpy().tobytes())
    return h.hexdigest()


# the same way, from 7bcf639: ccgan trains through the vicinal path, now chosen by VariantSpec.loss
TRAINING_REFERENCE = {
    "ccgan": "6157c683b9e8b1e006a85cebb87b12f5f91cb384f1e8e0ee04e75af88f31e380",
    "bcgan-proj": "2c11da42ce3d5bbba13c52acc7f40c11a377b02f061825219191db6ac9be9cd0",
}


@pytest.mark.parametrize("variant", sorted(TRAINING_REFERENCE))
def test_training_is_bit_identical(variant):
    assert training_fingerprint(variant) == TRAINING_REFERENCE[variant]


if __name__ == "__main__":
    from bcgan.nets.models import ABLATION_SPECS, STUDY_SPECS, VARIANT_SPECS

    for name in [*VARIANT_SPECS, *ABLATION_SPECS, *STUDY_SPECS]:
        print(f'    "{name}": "{fingerprint(name)}",')
