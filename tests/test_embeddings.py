"""Bit embedding, CGAN binning and the frozen y2h wrapper, checked against independent truth."""

import struct

import numpy as np
import pytest
import torch

from bcgan.data.ising import TC
from bcgan.errors import UserError
from bcgan.nets.ccgan import build_y2h
from bcgan.nets.embeddings import (
    FLOAT16,
    FLOAT32,
    BitEmbedding,
    FrozenY2H,
    bin_temperatures,
    bits_to_float,
    float_to_bits,
    split_bits,
)


def _struct_bits(x: float) -> str:
    return format(struct.unpack(">I", struct.pack(">f", x))[0], "032b")


def _as_str(bits: torch.Tensor) -> str:
    return "".join(str(int(b)) for b in bits.tolist())


def test_paper_example_0_42():
    bits = float_to_bits(torch.tensor([0.42], dtype=torch.float32))[0]
    s, e, m = split_bits(bits[None])
    assert _as_str(s[0]) == "0"
    assert _as_str(e[0]) == "01111101"
    assert _as_str(m[0]) == "10101110000101000111101"
    assert _as_str(bits) == _struct_bits(0.42)


@pytest.mark.parametrize("x", [TC, 2 * TC, 1e-3, 3.4e38, -0.0, -2.5, 1e-40])
def test_bits_match_struct(x):
    assert _as_str(float_to_bits(torch.tensor([x], dtype=torch.float32))[0]) == _struct_bits(x)


def test_negation_flips_only_sign():
    t = torch.tensor([TC, 0.42, 3.0], dtype=torch.float32)
    a, b = float_to_bits(t), float_to_bits(-t)
    diff = (a != b)
    assert diff[:, 0].all() and not diff[:, 1:].any()


def test_nextafter_differs_in_last_mantissa_bit():
    t = np.float32(TC)
    up = np.nextafter(t, np.float32(np.inf))
    a = float_to_bits(torch.tensor([t]))[0]
    b = float_to_bits(torch.tensor([up]))[0]
    assert (a != b)[-1]
    assert _as_str(b) == _struct_bits(float(up))


def test_round_trip_exact():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-10, 10, 200), [0.0, -0.0, 1e-42, 3.4e38]]).astype(np.float32)
    back = bits_to_float(float_to_bits(torch.from_numpy(x)))
    assert np.array_equal(back.numpy().view(np.uint32), x.view(np.uint32))


def test_float16_format():
    x = np.array([0.42, -1.5, 6.0e4], dtype=np.float16)
    bits = float_to_bits(torch.from_numpy(x.astype(np.float32)), FLOAT16)
    assert bits.shape == (3, 16)
    expect = [format(int(v), "016b") for v in x.view(np.uint16)]
    assert [_as_str(b) for b in bits] == expect
    assert np.array_equal(bits_to_float(bits, FLOAT16).numpy().view(np.uint16), x.view(np.uint16))


def test_bit_embedding_shape_and_range():
    emb = BitEmbedding(7, (2, 3, 4), FLOAT32)
    out = emb(torch.tensor([0.1, 1.0, 4.0]))
    assert out.shape == (3, 7) and out.abs().max() <= 1
    n = sum(p.numel() for p in emb.parameters())
    assert n == (1 * 2 + 2) + (8 * 3 + 3) + (23 * 4 + 4) + (9 * 7 + 7)


def test_binning_edges_and_clamp():
    t_range = (0.05, 4.5)
    t = torch.tensor([0.05, 4.5, 0.0, 9.0, (0.05 + 4.5) / 2])
    k = bin_temperatures(t, t_range, 64)
    assert k.tolist() == [0, 63, 0, 63, 32]
    grid = torch.linspace(0.05, 4.5, 10_000)
    k = bin_temperatures(grid, t_range, 256)
    assert torch.equal(torch.unique(k), torch.arange(256))  # every class is reached
    assert torch.all(k[1:] >= k[:-1])
    with pytest.raises(UserError):
        bin_temperatures(torch.tensor([float("nan")]), t_range, 8)


def test_frozen_y2h_stays_frozen():
    y2h = build_y2h(16)
    wrapped = FrozenY2H(y2h)
    wrapped.train()
    assert not y2h.training
    assert all(not p.requires_grad for p in wrapped.parameters())
    assert wrapped(torch.tensor([0.2, 0.7])).shape == (2, 16)
    with pytest.raises(UserError):
        FrozenY2H(None)
