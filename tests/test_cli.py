"""The command line: every subcommand is listed, and a job imports only what its command needs."""

import subprocess
import sys

import pytest

from bcgan.cli import COMMANDS, main


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"    {name} " in out


@pytest.mark.parametrize("argv, heavy", [
    (["ising", "--help"], ["torch", "matplotlib", "scipy"]),
    (["dataset", "manifest", "--help"], ["torch", "matplotlib"]),
    (["psd", "table", "--help"], ["torch"]),
    (["figure", "fig7", "--help"], ["torch"]),
])
def test_a_command_imports_only_its_own_dependencies(argv, heavy):
    """Data and evaluation jobs run in conda environments without torch (envs/)."""
    code = (f"import sys; from bcgan.cli import main\n"
            f"try: main({argv!r})\nexcept SystemExit: pass\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_user_error_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "missing.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "missing.h5" in err[0]


@pytest.mark.parametrize("argv, named", [
    (["train", "gan", "d.h5", "--variant", "bcgan", "--t-range", "0.05", "4.5", "--g-channels", "8",
      "--d-channels", "8", "--z-dim", "8", "--lr", "nan", "--generator", "g.pt", "--losses", "l.csv",
      "--loss-curve", "c.png", "--checkpoint", "ck.pt"], "--lr: nan"),
    (["train", "gan", "d.h5", "--variant", "bcgan", "--t-range", "0.05", "inf", "--g-channels", "8",
      "--d-channels", "8", "--z-dim", "8", "--generator", "g.pt", "--losses", "l.csv",
      "--loss-curve", "c.png", "--checkpoint", "ck.pt"], "--t-range"),
    (["ising", "--size", "16", "--t-range", "0.05", "inf", "--count", "3", "--seed", "1", "--out", "d.h5"],
     "--t-range: inf"),
    (["generate", "G.pt", "--temperature", "2.1", "nan", "--out", "o"], "--temperature: nan"),
])
def test_a_non_finite_number_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys, argv, named):
    """argparse reads 'nan' and 'inf' as floats; no command may start on them (issue 37)."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {named}"), err
    assert list(tmp_path.iterdir()) == []


def test_a_finished_command_leaves_the_full_parser_behind():
    """main() builds only the parser of the command it runs; after it, build_parser() has them all again
    (a later main() or a test that reads the parser must not see only the last command's)."""
    from bcgan.cli import build_parser, main

    assert main(["params", "--preset", "smoke"]) == 0
    parser = build_parser()
    commands = next(a.choices for a in parser._actions if isinstance(getattr(a, "choices", None), dict))
    assert {"params", "train", "study", "generate", "figure"} <= set(commands)
