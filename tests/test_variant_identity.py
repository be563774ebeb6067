"""No change of the code changed an existing variant: its weights, outputs and training are those of the reference.

Why: the study's and the runs' trained results stay valid only if each earlier arm builds and trains the
very same G and D. Two levels, because fp32 CPU kernels sum in an order that depends on the CPU (oneDNN
picks its kernels by instruction set), so the same code gives the same bits only on the same kind of CPU:

* the **weights as built** (parameters, before any forward pass, from the seeded RNG alone) must be
  bit-identical everywhere: a SHA-256 over names, shapes and bytes;
* the **outputs** — G(z, y) and D(x, y) for fixed z, x and labels in train mode, the spectral-norm and
  BatchNorm buffers after that pass, and one epoch of tiny training (4 iterations: loss rows and G's output
  after it) — must equal the stored reference bit for bit on the CPU that made it (``REFERENCE_CPU``), and
  within float32 summation-order tolerance on any other.

How the reference was made: ``python tests/test_variant_identity.py --write`` with the package of the
commit to compare against (``git worktree add <dir> <commit>``, then ``PYTHONPATH=<dir>/workflow``), torch
2.13.0+cpu, one thread, fp32; it writes ``tests/data/variant_reference.npz`` and prints the CPU and the
weight digests to paste below.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from bcgan.nets.ccgan import build_y2h
from bcgan.nets.models import build_discriminator, build_generator

T_RANGE = (0.05, 4.5)
TEMPERATURES = [0.05, 0.7, 1.0, 2.0, 2.269185314, 3.999, 4.5]
REFERENCE_FILE = Path(__file__).parent / "data" / "variant_reference.npz"
TRAINED = ("ccgan", "bcgan-proj")  # ccgan trains through the vicinal path, bcgan-proj through the hinge one


def cpu_kind() -> str:
    """Vendor, family and model of this CPU (what decides oneDNN's kernels), e.g. 'GenuineIntel 6 207'."""
    fields = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    return " ".join(fields.get(k, "?") for k in ("vendor_id", "cpu family", "model"))


def _pair(variant: str):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    return build_generator(variant, 16, 8, 8, T_RANGE, y2h=y2h), build_discriminator(variant, 16, 8, T_RANGE, y2h=y2h)


def weights_digest(variant: str) -> str:
    """SHA-256 of the parameters of a fixed-seed G and D of ``variant`` (L 16, widths 8, z 8), as built."""
    h = hashlib.sha256()
    for net in _pair(variant):
        for name, p in net.named_parameters():
            h.update(f"{name}{p.dtype}{tuple(p.shape)}".encode())
            h.update(p.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def _buffers(net) -> np.ndarray:
    parts = [b.detach().float().reshape(-1) for _, b in sorted(net.named_buffers()) if b.is_floating_point()]
    return torch.cat(parts).numpy() if parts else np.zeros(0)


def outputs(variant: str) -> dict[str, np.ndarray]:
    """G(z, y) and D(x, y) for fixed inputs in train mode, then every floating buffer of G and D."""
    G, D = _pair(variant)
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(len(TEMPERATURES), 8, generator=gen)
    x = torch.rand(len(TEMPERATURES), 1, 16, 16, generator=gen) * 2 - 1
    labels = G.labels(torch.tensor(TEMPERATURES))
    with torch.no_grad():
        g, d = G(z, labels).numpy(), D(x, labels).numpy()
    return {"g": g, "d": d, "buffers": np.concatenate([_buffers(G), _buffers(D)])}


def training(variant: str) -> dict[str, np.ndarray]:
    """One epoch of tiny training (4 iterations): the loss rows and G's output (eval mode) after it."""
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import labelled_images

    from bcgan.training.loop import TrainConfig, train_gan

    torch.set_num_threads(1)
    images, t = labelled_images(32, 16, T_RANGE, 0)
    cfg = TrainConfig(variant=variant, g_channels=8, d_channels=8, z_dim=16, t_range=T_RANGE, epochs=1, batch_size=8,
                      seed=7)
    torch.manual_seed(3)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    G, _, res = train_gan(images, t, cfg, y2h=y2h, progress=False)
    z = torch.randn(len(TEMPERATURES), 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        g = G.eval()(z, G.labels(torch.tensor(TEMPERATURES))).numpy()
    return {"rows": np.array(res.rows, np.float64), "g": g}


# from the parent of the width candidates' commit (5190a20), on REFERENCE_CPU (an Intel Xeon with AMX)
REFERENCE_CPU = "GenuineIntel 6 207"
WEIGHTS = {
    "ccgan": "85cb1d3719051d70d61070dc0289ab35d139622c3721b54a579c4e317d853cea",
    "cgan64": "cff5e7602bb55676b6323444ff9d08d7eb4be61458f18a07ea272a338d749aff",
    "cgan256": "1435910430668d36740e011364689510f3bedc75c9fdf20a78ddd08b9333c988",
    "cgan1024": "26bec888aad1c211a8eaa2ab331c9679aa9b82d517f9c8ee11f0683ef1de89e3",
    "bcgan": "b4e84e1c6c25c9dc6df088f0731e9f2ba1bfbbeb3973f97e61207846f834b554",
    "bcgan-proj": "9d081840c673dbe7bb4d81527aa19b1ab593781c3b696f6930d6cae8f5ea70b4",
    "bcgan16": "4db292d9b993bddaabe30232bb78a32ccf9213e9ae0e8b70c442d0be82a1faf5",
    "bcgan-linear": "b4e84e1c6c25c9dc6df088f0731e9f2ba1bfbbeb3973f97e61207846f834b554",
    "bcgan-linear-unitplane": "54488c1224a3ab8bec9736ef04fd0a978e8dd124e13a7d914fac5ace246fb80d",
    "bcgan-linear-proj": "9d081840c673dbe7bb4d81527aa19b1ab593781c3b696f6930d6cae8f5ea70b4",
    "bcgan-unitplane": "54488c1224a3ab8bec9736ef04fd0a978e8dd124e13a7d914fac5ace246fb80d",
    "cgan64-proj": "fe76880b0bc00252c456d4ee956ae15b051b98001e96c4f9933e9548fb0b333b",
    "cgan256-proj": "3745ec8867099b591b2335428239cfebed1276233a54c186b1ed6e9b66c2b7cd",
    "cgan1024-proj": "57bc932ecdc7648cde2d9ef1a53e1b1f1e79088c85b303cf45abdcfe50cda898",
    "bcgan16-proj": "d320e73a443a7180dfd1e6b2973e61b42cd445f2d1b0c78063d7a862ce58e468",
    "scalar-proj": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "bcgan-proj-vicinal": "9d081840c673dbe7bb4d81527aa19b1ab593781c3b696f6930d6cae8f5ea70b4",
    "ccgan-hinge": "85cb1d3719051d70d61070dc0289ab35d139622c3721b54a579c4e317d853cea",
    "logfourier-proj": "479e42e1cb3f931ee02dbf1a45334f86701941b82d3bf8978e9466da521f1ca6",
    "floatparts-proj": "8720f51c923304c62e5628a053eb22163a0a6ab6481432fbbb75f2bc5d576fcd",
    "scalar-boundgain-proj": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "ple-proj": "d5e47b267af1bcbefb541bbeca20aa1551c687afe634cb5c8d05f37f93d4e615",
    "logfourier-norm-proj": "479e42e1cb3f931ee02dbf1a45334f86701941b82d3bf8978e9466da521f1ca6",
    "scalar-boundgain-norm-proj": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "scalar-boundgain-ms-proj": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "scalar-proj-vicinal": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "logfourier-proj-vicinal": "479e42e1cb3f931ee02dbf1a45334f86701941b82d3bf8978e9466da521f1ca6",
    "floatparts-proj-vicinal": "8720f51c923304c62e5628a053eb22163a0a6ab6481432fbbb75f2bc5d576fcd",
    "scalar-boundgain-proj-vicinal": "5633c85276796639304c16d88c3fc10d362374e8e8fb29c5414f8c6f9c4912a1",
    "ple-proj-vicinal": "d5e47b267af1bcbefb541bbeca20aa1551c687afe634cb5c8d05f37f93d4e615",
}


def _reference() -> dict:
    with np.load(REFERENCE_FILE) as f:
        return {k: f[k] for k in f.files}


def _same(actual: np.ndarray, expected: np.ndarray, what: str, *, rtol: float, atol: float) -> None:
    assert actual.shape == expected.shape, what
    if cpu_kind() == REFERENCE_CPU:
        assert np.array_equal(actual, expected), f"{what}: not bit-identical on the reference CPU"
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("variant", sorted(WEIGHTS))
def test_existing_variants_build_the_same_weights_and_outputs(variant):
    assert weights_digest(variant) == WEIGHTS[variant]
    ref = _reference()
    for key, value in outputs(variant).items():
        _same(value, ref[f"{variant}/{key}"], f"{variant} {key}", rtol=1e-5, atol=1e-5)


def test_every_earlier_variant_is_covered():
    from bcgan.nets.models import ABLATION_SPECS, STUDY_SPECS, VARIANT_SPECS

    earlier = {*VARIANT_SPECS, *ABLATION_SPECS, *STUDY_SPECS} & set(WEIGHTS)
    assert len(earlier) == len(WEIGHTS) >= 30


@pytest.mark.parametrize("variant", TRAINED)
def test_training_is_the_same(variant):
    ref = _reference()
    for key, value in training(variant).items():
        # four Adam steps carry a summation-order difference further than one forward pass
        _same(value, ref[f"{variant}/train_{key}"], f"{variant} training {key}", rtol=1e-3, atol=1e-3)


if __name__ == "__main__":
    from bcgan.nets.models import ABLATION_SPECS, STUDY_SPECS, VARIANT_SPECS

    arrays = {}
    print(f'REFERENCE_CPU = "{cpu_kind()}"')
    for name in [*VARIANT_SPECS, *ABLATION_SPECS, *STUDY_SPECS]:
        print(f'    "{name}": "{weights_digest(name)}",')
        arrays.update({f"{name}/{k}": v for k, v in outputs(name).items()})
    for name in TRAINED:
        arrays.update({f"{name}/train_{k}": v for k, v in training(name).items()})
    if "--write" in sys.argv:
        REFERENCE_FILE.parent.mkdir(exist_ok=True)
        np.savez_compressed(REFERENCE_FILE, **arrays)
