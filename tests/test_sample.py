"""Sampling stage: grid, recorded per-image noise seeds, same noise across variants, reproducible files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bcgan.cli import main
from bcgan.data.shards import read_shard
from bcgan.errors import UserError
from bcgan.nets.models import build_generator
from bcgan.nets.sampling import generate, noise_seeds, noise_vectors, temperature_grid
from bcgan.training.checkpoints import save_generator

T_RANGE = (0.05, 4.5)


def _generator(tmp_path, variant, z_dim=8):
    torch.manual_seed(1)
    G = build_generator(variant, 16, 4, z_dim, T_RANGE)
    path = tmp_path / f"{variant}.pt"
    save_generator(path, G, epochs=0)
    return path


def _sample(gen, out, seed=7, extra=()):
    argv = ["sample", "--generator", str(gen), "--t-range", *map(str, T_RANGE), "--n-temperatures", "3",
            "--per-temperature", "4", "--seed", str(seed), "--threads", "1", "--batch", "5", "--out", str(out), *extra]
    assert main(argv) == 0
    return read_shard(out)


def test_temperature_grid_spans_range():
    g = temperature_grid(0.05, 4.5, 5)
    assert g.dtype == np.float32 and g.size == 5
    assert g[0] == np.float32(0.05) and g[-1] == np.float32(4.5)
    assert np.all(np.diff(g) > 0)
    with pytest.raises(UserError):
        temperature_grid(1.0, 1.0, 3)


def test_noise_seeds_are_per_image_and_reproducible():
    a = noise_seeds(3, 10)
    assert a.dtype == np.uint64 and len(set(a.tolist())) == 10
    assert np.array_equal(noise_seeds(3, 4, first_index=6), a[6:])  # depends on the image index only
    assert not np.array_equal(noise_seeds(4, 10), a)
    z = noise_vectors(a, 5)
    assert z.shape == (10, 5) and z.dtype == np.float32
    assert np.array_equal(noise_vectors(a[3:5], 5), z[3:5])  # row k depends on seed k only
    assert np.array_equal(noise_vectors(a[:2], 3), z[:2, :3])  # shorter z = prefix of the same stream


def test_sample_file_layout_and_reproducible(tmp_path):
    gen = _generator(tmp_path, "bcgan")
    d = _sample(gen, tmp_path / "a.h5")
    assert d["attrs"]["kind"] == "samples" and d["attrs"]["variant"] == "bcgan"
    assert d["images"].shape == (12, 16, 16) and set(np.unique(d["images"])) <= {0, 255}
    grid = temperature_grid(*T_RANGE, 3)
    assert np.array_equal(d["temperature"], np.repeat(grid, 4))
    assert np.array_equal(d["noise_seed"], noise_seeds(7, 12))
    assert int(d["attrs"]["seed"]) == 7 and int(d["attrs"]["per_temperature"]) == 4
    _sample(gen, tmp_path / "b.h5")
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    other = _sample(gen, tmp_path / "c.h5", seed=8)
    assert not np.array_equal(other["noise_seed"], d["noise_seed"])


def test_images_follow_recorded_seeds(tmp_path):
    """Any image can be regenerated alone from (generator, T, noise_seed): batches do not interact."""
    gen = _generator(tmp_path, "cgan64")
    d = _sample(gen, tmp_path / "s.h5")
    G = build_generator("cgan64", 16, 4, 8, T_RANGE)
    G.load_state_dict(torch.load(gen, weights_only=True)["state_dict"])
    one = generate(G, d["temperature"][5:6], d["noise_seed"][5:6], batch_size=1)
    assert np.array_equal(one[0], d["images"][5])


def test_same_noise_across_variants(tmp_path):
    a = _sample(_generator(tmp_path, "bcgan"), tmp_path / "bcgan.h5")
    b = _sample(_generator(tmp_path, "cgan256"),
                tmp_path / "cgan256.h5")
    assert np.array_equal(a["noise_seed"], b["noise_seed"])
    assert np.array_equal(a["temperature"], b["temperature"])
    assert not np.array_equal(a["images"], b["images"])  # different models, same draws


def test_missing_generator_is_user_error(tmp_path, capsys):
    argv = ["sample", "--generator", str(tmp_path / "none.pt"), "--t-range", "0.1", "1", "--n-temperatures", "2",
            "--per-temperature", "2", "--seed", "1", "--out", str(tmp_path / "x.h5")]
    assert main(argv) == 2
    assert "none.pt" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("command", ["sample", "analyse activity", "analyse perturb"])
def test_a_generator_of_another_variant_is_refused(tmp_path, capsys, command):
    """A cgan64 generator copied over models/bcgan/generator.pt was sampled and analysed as BcGAN (issue 37):
    the workflow's jobs name the variant they expect."""
    gen = _generator(tmp_path, "cgan64")
    argv = {"sample": ["sample", "--generator", str(gen), "--t-range", "0.1", "1", "--n-temperatures", "2",
                       "--per-temperature", "2", "--seed", "1", "--out", str(tmp_path / "x.h5")],
            "analyse activity": ["analyse", "activity", "--generator", str(gen), "--points", "4",
                                 "--dead-range", "1e-3", "--out", str(tmp_path / "x.h5"),
                                 "--summary", str(tmp_path / "x.json")],
            "analyse perturb": ["analyse", "perturb", "--generator", str(gen), "--epsilons", "0.1", "--rows", "1",
                                "--seed", "1", "--out", str(tmp_path / "x.h5")]}[command]
    assert main([*argv, "--variant", "bcgan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cgan64.pt: a generator of variant cgan64, not of bcgan" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cgan64.pt"]
