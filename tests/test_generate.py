"""`bcgan generate`: PNGs, contact sheet and samples HDF5 at the temperatures asked for, reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bcgan.cli import main
from bcgan.data.shards import read_shard
from bcgan.nets.sampling import sample_grid

T_RANGE = (0.05, 4.54)


@pytest.fixture(scope="module")
def generator(tiny_generator):
    return tiny_generator


def generate(path, out, *args) -> int:
    return main(["generate", str(path), "--out", str(out), "--threads", "1", *map(str, args)])


def test_pngs_sheet_and_hdf5_hold_the_same_reproducible_images(generator, tmp_path, capsys):
    path, G = generator
    assert generate(path, tmp_path / "a", "--temperature", "1.5", "2.27", "--count", "3", "--seed", "3") == 0
    s = read_shard(tmp_path / "a" / "samples.h5")  # our samples format: `bcgan psd table` reads it
    assert s["attrs"]["kind"] == "samples" and s["attrs"]["variant"] == "bcgan"
    np.testing.assert_allclose(s["temperature"], [1.5] * 3 + [2.27] * 3, rtol=1e-6)
    pngs = sorted((tmp_path / "a" / "images").glob("*.png"))
    assert [p.name for p in pngs][:2] == ["T1.5000_0000.png", "T1.5000_0001.png"] and len(pngs) == 6
    from_png = np.stack([np.asarray(Image.open(p)) for p in pngs])
    assert from_png.dtype == np.uint8 and set(np.unique(from_png)) <= {0, 255}
    np.testing.assert_array_equal(from_png, s["images"])
    sheet = Image.open(tmp_path / "a" / "contact_sheet.png")
    assert sheet.width >= 3 * 64 and sheet.height >= 2 * 64
    # the recorded-noise scheme of `bcgan sample`: same seed and count, same images at a grid temperature
    grid = sample_grid(G, t_min=1.5, t_max=2.27, n_temperatures=2, per_temperature=3, seed=3)
    np.testing.assert_array_equal(grid["images"], s["images"])
    np.testing.assert_array_equal(grid["noise_seed"], s["noise_seed"])
    # same seed again: identical; another seed: different images; a smaller rerun leaves no stale PNGs
    assert generate(path, tmp_path / "a", "--temperature", "1.5", "2.27", "--count", "3", "--seed", "3",
                    "--overwrite") == 0
    np.testing.assert_array_equal(read_shard(tmp_path / "a" / "samples.h5")["images"], s["images"])
    assert generate(path, tmp_path / "a", "--temperature", "1.5", "--count", "2", "--seed", "4", "--overwrite") == 0
    assert len(list((tmp_path / "a" / "images").glob("*.png"))) == 2
    assert not np.array_equal(read_shard(tmp_path / "a" / "samples.h5")["images"], s["images"][:2])
    assert "-> " in capsys.readouterr().out


def test_response_adds_each_images_estimated_temperature(generator, tmp_path, capsys):
    path, _ = generator
    assert main(["ising", "--size", "16", "--t-range", "0.05", "4.54", "--count", "200", "--seed", "1",
                 "--threads", "1", "--out", str(tmp_path / "real.h5")]) == 0
    assert main(["psd", "fit-response", str(tmp_path / "real.h5"), "--n-bins", "8", "--power-floor", "1",
                 "--threads", "1", "--out", str(tmp_path / "response.json")]) == 0
    capsys.readouterr()
    assert generate(path, tmp_path / "b", "--temperature", "2.1", "--count", "4", "--response",
                    tmp_path / "response.json") == 0
    est = pd.read_csv(tmp_path / "b" / "estimates.csv")
    assert list(est["png"]) == [f"T2.1000_{i:04d}.png" for i in range(4)]
    assert est["t_est"].between(*T_RANGE).all() and (est["d2"] >= 0).all()
    # the same numbers as evaluating the HDF5 afterwards
    assert main(["psd", "table", str(tmp_path / "b" / "samples.h5"), "--response", str(tmp_path / "response.json"),
                 "--out", str(tmp_path / "t.csv")]) == 0
    np.testing.assert_allclose(pd.read_csv(tmp_path / "t.csv")["t_est"], est["t_est"])
    assert "T = 2.1: 4 images, T_est" in capsys.readouterr().out


def test_temperature_outside_the_trained_range_warns(generator, tmp_path, capsys):
    path, _ = generator
    assert generate(path, tmp_path / "c", "--temperature", "2.0", "9", "--count", "1") == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "T = 9 is outside the trained range [0.05, 4.54]" in warnings[0]


@pytest.mark.parametrize("args, message", [
    (["--temperature", "-1"], "--temperature -1: temperatures must be finite and > 0"),
    (["--temperature", "nan"], "--temperature: nan not allowed (must be a finite number)"),
    (["--temperature", "2", "--count", "0"], "--count must be >= 1"),
    (["--temperature", "2", "--device", "cuda:7"], "--device cuda:7"),
])
def test_bad_arguments_are_one_line_errors(generator, tmp_path, capsys, args, message):
    import torch

    if "cuda:7" in args and torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    assert generate(generator[0], tmp_path / "d", *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not (tmp_path / "d").exists()


def test_a_file_that_is_not_a_generator_is_named(tmp_path, capsys):
    (tmp_path / "g.pt").write_text("not torch")
    assert generate(tmp_path / "g.pt", tmp_path / "e", "--temperature", "2") == 2
    assert "g.pt: not a readable generator file" in capsys.readouterr().err


def test_bad_thread_counts_are_one_line_errors(tmp_path, capsys):
    """Every torch command shares one --threads check (bcgan.nets.precision.set_cpu_threads)."""
    for argv in (["generate", str(tmp_path / "G.pt"), "--temperature", "1", "--out", str(tmp_path), "--threads", "0"],
                 ["train", "gan", str(tmp_path / "x.h5"), "--variant", "bcgan", "--t-range", "0", "1",
                  "--g-channels", "8", "--d-channels", "8", "--z-dim", "8", "--generator", "g", "--losses", "l",
                  "--loss-curve", "c", "--checkpoint", "k", "--threads", "-1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--threads must be >= 1" in err[0], err


def test_a_generator_or_response_with_non_finite_numbers_is_refused_before_writing(generator, tmp_path, capsys):
    """NaN weights or a NaN response model gave 'T_est nan ± nan' and exit 0 (issue 37)."""
    import json

    import torch

    from bcgan.psd.response import fit_response, save_response

    path, _ = generator
    payload = torch.load(path, weights_only=True)
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point())
    payload["state_dict"][name] = payload["state_dict"][name].clone().fill_(float("nan"))
    torch.save(payload, tmp_path / "nan.pt")
    assert generate(tmp_path / "nan.pt", tmp_path / "f", "--temperature", "2.1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"nan.pt: generator weight {name} holds NaN" in err[0], err
    t = np.linspace(0.1, 4.5, 400)
    save_response(fit_response(-3 + 0.5 * t, 10 - t, t, n_bins=8, grid_size=64), tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    doc["mean"] = [[float("nan"), float("nan")] for _ in doc["mean"]]
    (tmp_path / "r.json").write_text(json.dumps(doc))
    assert generate(path, tmp_path / "f", "--temperature", "2.1", "--response", tmp_path / "r.json") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "r.json: mean holds NaN" in err[0], err
    assert not (tmp_path / "f").exists()
