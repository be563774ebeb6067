"""The SAGAN backbone and its five conditioning variants: shapes, ranges, gradients, counts."""


import pytest
import torch

from bcgan.cli.params import PAPER_TABLE1, parameter_table, preset_sizes
from bcgan.errors import UserError
from bcgan.nets.ccgan import build_regressor, build_y2h
from bcgan.nets.models import VARIANTS, build_discriminator, build_generator, count_parameters

T_RANGE = (0.05, 4.5)
torch.set_num_threads(1)


def _pair(variant, L, ch, z=8, seed=0):
    torch.manual_seed(seed)
    y2h = build_y2h(16) if variant == "ccgan" else None
    return (build_generator(variant, L, ch, z, T_RANGE, y2h=y2h), build_discriminator(variant, L, ch, T_RANGE, y2h=y2h))


@pytest.mark.parametrize("variant", VARIANTS + ("bcgan16",))
@pytest.mark.parametrize("L", [16, 32])
def test_shapes_and_ranges(variant, L):
    G, D = _pair(variant, L, 8)
    labels = G.labels(torch.tensor([0.05, 1.0, 2.269, 4.5]))
    x = G(torch.randn(4, G.z_dim), labels)
    assert x.shape == (4, 1, L, L) and x.abs().max() <= 1
    assert D(x, labels).shape == (4,)
    assert G.embed(labels).shape[0] == 4


@pytest.mark.parametrize("L", [64, 128])
def test_large_sizes_tiny_width(L):
    G, D = _pair("bcgan", L, 8)
    labels = G.labels(torch.tensor([0.5, 3.0]))
    x = G(torch.randn(2, 8), labels)
    assert x.shape == (2, 1, L, L)
    assert D(x, labels).shape == (2,)


def test_label_domains_and_working_range():
    for v, dtype, wr in [("cgan64", torch.int64, (0, 63, True)), ("ccgan", torch.float32, (0.0, 1.0, False)),
                         ("bcgan", torch.float32, (0.0, 4.5, False))]:
        G, _ = _pair(v, 16, 8)
        lab = G.labels(torch.tensor([0.05, 4.5]))
        assert lab.dtype == dtype and G.working_range() == wr
    G, _ = _pair("ccgan", 16, 8)
    assert G.labels(torch.tensor([0.05, 4.5, 2.275])).tolist() == pytest.approx([0.0, 1.0, 0.5])
    G, _ = _pair("bcgan", 16, 8)
    t = torch.tensor([2.269185314])
    assert torch.equal(G.labels(t), t)  # raw float32, no normalisation


STUDY_ARMS = ("cgan64-proj", "cgan1024-proj", "bcgan16-proj", "scalar-proj")


@pytest.mark.parametrize("variant", VARIANTS + STUDY_ARMS)
def test_gradients_reach_every_embedding_parameter(variant):
    G, D = _pair(variant, 16, 8)
    temps = torch.linspace(0.05, 4.5, 6)
    if variant in ("bcgan", "bcgan16-proj"):
        temps[0] = -1.0  # the sign-bit weight only sees a gradient when some label is negative
    labels = G.labels(temps)
    x = G(torch.randn(6, 8), labels)
    D(x, labels).sum().backward()
    for net in (G, D):
        trainable = [(n, p) for n, p in net.embedding.named_parameters() if p.requires_grad]
        if variant == "ccgan":
            assert trainable == []  # frozen y2h
            continue
        assert trainable
        for name, p in trainable:
            if variant.startswith("cgan") and p.dim() == 2:  # lookup tables: only the used rows
                assert p.grad is not None and p.grad[labels].abs().sum(1).gt(0).all(), name
                continue
            assert p.grad is not None and p.grad.abs().sum() > 0, name
    # for ccgan the conditioning reaches G through the CBN head and D through the projection
    if variant == "ccgan":
        assert G.cbn_head.weight.grad.abs().sum() > 0
        assert D.projection.parametrizations.weight.original.grad.abs().sum() > 0


def test_generator_deterministic():
    z = torch.randn(3, 8, generator=torch.Generator().manual_seed(1))
    outs = []
    for _ in range(2):
        G, _ = _pair("bcgan", 16, 8, seed=7)
        G.eval()
        labels = G.labels(torch.tensor([0.5, 2.0, 4.0]))
        with torch.no_grad():
            outs += [G(z, labels), G(z, labels)]
    assert all(torch.equal(outs[0], o) for o in outs[1:])


def test_bad_arguments():
    with pytest.raises(UserError):
        build_generator("cgan7", 16, 8, 8, T_RANGE)
    with pytest.raises(UserError):
        build_generator("bcgan", 24, 8, 8, T_RANGE)
    with pytest.raises(UserError):
        build_generator("bcgan", 16, 8, 8, (2.0, 1.0))
    with pytest.raises(UserError):
        build_generator("ccgan", 16, 8, 8, T_RANGE)  # y2h required


def _lookup_counts(k, L):
    return k * 128, k * L * L


def test_parameter_counts_at_paper_widths():
    rows = {r["variant"]: r for r in parameter_table(preset_sizes("paper"))}
    # exact values the report gives
    assert rows["ccgan"]["gen"] == 33_483_714 and rows["ccgan"]["disc"] == 40_551_074
    assert rows["ccgan"]["embed_g"] == rows["ccgan"]["embed_d"] == 67_328
    assert rows["ccgan"]["regressor"] == 21_609_793
    for k in (64, 256, 1024):
        r = rows[f"cgan{k}"]
        assert (r["gen"], r["disc"]) == (7_241_334, 6_352_698)
        assert (r["embed_g"], r["embed_d"]) == _lookup_counts(k, 128)
    b = rows["bcgan"]
    assert (b["gen"], b["disc"], b["embed_g"], b["embed_d"]) == (6_689_398, 6_352_698, 1_181_432, 311_564)
    # within 10 % of Table 1 wherever it is compared (CcGAN Disc: -2.5 %, see DIFFERENCES)
    for v, r in rows.items():
        for key in ("gen", "disc", "embed_g", "embed_d"):
            assert abs(r[key] / PAPER_TABLE1[v][key] - 1) < 0.10, (v, key)


def test_counts_match_real_modules():
    """meta-device counting == parameters of the real (spectral-normed) modules."""
    for v in VARIANTS:
        G, D = _pair(v, 16, 8)
        c = count_parameters(v, 16, 8, 8, 8, embed_dim=16)
        n = lambda m: sum(p.numel() for p in m.parameters())
        assert c["gen"] + c["embed_g"] == n(G) and c["disc"] + c["embed_d"] == n(D)
        assert c["embed_g"] == n(G.embedding) and c["embed_d"] == n(D.embedding)


def test_bcgan_embed_g_formula():
    """EmbedG = first layers + (h+1) x (2 x sum of CBN channels); backbone G sums 77 base widths."""
    c = count_parameters("bcgan", 128, 28, 26, 128)
    n_cond = 2 * 77 * 28
    first = (1 * 16 + 16) + (8 * 128 + 128) + (23 * 128 + 128)
    assert c["embed_g"] == first + (272 + 1) * n_cond
    assert count_parameters("cgan64", 128, 28, 26, 128)["gen"] - c["gen"] == 128 * n_cond


def test_regressor_and_y2h():
    r = build_regressor(16, embed_dim=16, base_width=4)
    r.eval()
    x = torch.randn(3, 1, 16, 16)
    assert r.features(x).shape == (3, 16) and r(x).shape == (3,)
    assert sum(p.numel() for p in build_y2h(128).parameters()) == 67_328
    assert build_y2h(16)(torch.rand(5)).shape == (5, 16)


def test_channels_last_and_bf16_autocast():
    G, D = _pair("bcgan", 16, 8)
    G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    labels = G.labels(torch.tensor([0.5, 2.0]))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = G(torch.randn(2, 8), labels)
        out = D(x, labels)
    assert x.shape == (2, 1, 16, 16) and out.shape == (2,) and torch.isfinite(out.float()).all()


def test_params_cli_writes_csv(tmp_path, capsys):
    import csv

    from bcgan.cli import main

    out = tmp_path / "params.csv"
    assert main(["params", "--preset", "paper", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["variant"] for r in rows] == list(VARIANTS) + ["bcgan-proj"]  # the paper preset's variants
    for col in ("gen", "disc", "embed_g", "embed_d", "paper_gen", "paper_disc", "paper_embed_g", "paper_embed_d",
                "regressor"):
        assert col in rows[0]
    assert int(rows[0]["gen"]) == 33_483_714
    assert "33.48M/33.48M" in capsys.readouterr().out
    assert main(["params", "--preset", "smoke", "--widths", "bcgan=8:8", "--image-size", "16", "--out", str(out)]) == 0
    bcgan = {r["variant"]: r for r in csv.DictReader(out.open())}["bcgan"]
    assert (bcgan["g_channels"], bcgan["d_channels"], bcgan["image_size"]) == ("8", "8", "16")
    assert main(["params", "--preset", "smoke", "--widths", "nope=1:1"]) == 2


@pytest.mark.parametrize("variant", STUDY_ARMS)
def test_study_arms_shapes_and_projection_d(variant):
    """The study's arms build, their shapes hold, and D is projection-conditioned (image alone in its
    first conv); their gradients are checked with every variant's above."""
    G, D = _pair(variant, 16, 8)
    labels = G.labels(torch.linspace(0.05, 4.5, 6))
    x = G(torch.randn(6, 8), labels)
    assert x.shape == (6, 1, 16, 16) and x.abs().max() <= 1
    assert D(x, labels).shape == (6,) and not D.uses_plane and D.projection is not None
    assert D.blocks[0].conv1.parametrizations.weight.original.shape[1] == 1


def test_study_arm_counts_follow_their_formulas():
    """Paper widths (L 128, G 28 / D 26): EmbedG / EmbedD of each study arm from its layer sizes."""
    n_cond = 2 * 77 * 28
    scalar = count_parameters("scalar-proj", 128, 28, 26, 128)
    assert scalar["embed_g"] == (1 * 272 + 272) + (272 + 1) * n_cond
    assert scalar["embed_d"] == (1 * 18 + 18) + (18 + 1) * 128
    half = count_parameters("bcgan16-proj", 128, 28, 26, 128)
    assert half["embed_g"] == (1 * 16 + 16) + (5 * 128 + 128) + (10 * 128 + 128) + (272 + 1) * n_cond
    assert half["embed_d"] == (1 * 2 + 2) + (5 * 8 + 8) + (10 * 8 + 8) + (18 + 1) * 128
    proj, plane = count_parameters("cgan64-proj", 128, 28, 26, 128), count_parameters("cgan64", 128, 28, 26, 128)
    assert proj["embed_d"] == 64 * 128 and proj["gen"] == plane["gen"] and proj["embed_g"] == plane["embed_g"]
    # D: the first block's convs lose the plane's input channel, the projection Linear 128 -> 16 x 16c is added
    c = 26
    lost = 9 * c + 1 * c  # 3x3 conv1 and 1x1 shortcut: one input channel fewer
    assert proj["disc"] - plane["disc"] == 128 * 16 * 16 * c - lost
    assert proj == count_parameters("bcgan-proj", 128, 28, 26, 128) | {"gen": proj["gen"], "embed_g": proj["embed_g"],
                                                                          "embed_d": proj["embed_d"]}


def test_study_arm_label_domains():
    """cgan-proj bins like cgan; bcgan16 reads float16 bits (T and its float16 neighbour differ, a
    float32 step below float16's resolution does not); the control gets the raw float32 value."""
    G, _ = _pair("cgan64-proj", 16, 8)
    assert G.labels(torch.tensor([0.05, 4.5])).tolist() == [0, 63] and G.working_range() == (0, 63, True)
    G, D = _pair("bcgan16-proj", 16, 8)
    t = torch.tensor([3.0, 3.0 + 2.0**-9, 3.0 + 2.0**-12])  # float16 spacing in [2, 4) is 2^-9
    e = G.embed(G.labels(t))
    assert not torch.equal(e[0], e[1]) and torch.equal(e[0], e[2])
    G, _ = _pair("scalar-proj", 16, 8)
    t = torch.tensor([2.269185314, 2.269185314 + 2.0**-21])
    assert torch.equal(G.labels(t), t) and G.working_range() == (0.0, 4.5, False)
    e = G.embed(t)
    assert not torch.equal(e[0], e[1])  # a float32 step moves the control's input
    with pytest.raises(UserError, match="projection D only"):
        from bcgan.nets.models import Discriminator, VariantSpec

        Discriminator(VariantSpec("scalar-plane", "bits", encoding="float"), 16, 8, T_RANGE)


def test_self_attention_is_the_sagan_formula_bit_for_bit():
    """attn @ g^T (the fast layout) equals SAGAN's g @ attn^T to the last bit in fp32, gradients included."""
    import torch.nn.functional as F

    from bcgan.nets.models import SelfAttention

    torch.manual_seed(0)
    att = SelfAttention(32).eval()
    att.gate.data.fill_(0.7)
    x = torch.randn(3, 32, 16, 16, requires_grad=True)

    def sagan(x):
        b, _, h, w = x.shape
        theta = att.theta(x).reshape(b, att.c8, h * w)
        phi = F.max_pool2d(att.phi(x), 2).reshape(b, att.c8, h * w // 4)
        attn = torch.softmax(torch.bmm(theta.transpose(1, 2), phi), dim=-1)
        g = F.max_pool2d(att.g(x), 2).reshape(b, att.c2, h * w // 4)
        return x + att.gate * att.out(torch.bmm(g, attn.transpose(1, 2)).reshape(b, att.c2, h, w))

    ours, reference = att(x), sagan(x)
    assert torch.equal(ours, reference)
    assert torch.equal(*(torch.autograd.grad(y.square().sum(), x)[0] for y in (ours, reference)))
