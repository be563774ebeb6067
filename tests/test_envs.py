"""Per-rule-family conda environments (envs/*.yaml) agree with pyproject.toml, and the rules use them.

Why: conda is not reachable where the tests run, so the environments cannot be
solved here; what can drift silently is a pin (envs say numpy 2.4.5, pyproject
says 2.4.6) or a conda: directive pointing at a file that is gone.  Also runs
`snakemake --lint`, whose main complaint would be a rule without an environment.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "envs"
FAMILIES = {"data", "evaluation", "torch"}
# conda-forge names that differ from the PyPI names used in pyproject.toml
CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib", "snakemake-minimal": "snakemake"}
# tooling pins that pyproject.toml does not (and should not) list
NOT_IN_PYPROJECT = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;,]+)\s*", dep)
        assert m, f"pyproject dependency not pinned exactly: {dep!r}"
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def env_pins(path: Path) -> dict[str, str]:
    """Package (PyPI name, normalised) -> exact version, from conda and pip sections."""
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep.get("pip", []):
                m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s=<>!~,]+)", pip_dep.strip())
                assert m, f"{path.name}: pip dependency not pinned exactly: {pip_dep!r}"
                pins[_norm(m.group(1))] = m.group(2)
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)=([^\s=<>!~,*]+)", dep.strip())
        assert m, f"{path.name}: conda dependency not pinned exactly (name=version): {dep!r}"
        name = _norm(m.group(1))
        pins[_norm(CONDA_TO_PYPI.get(name, name))] = m.group(2)
    return pins


def test_one_env_per_rule_family():
    assert {p.stem for p in ENVS.glob("*.yaml")} == FAMILIES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_env_pins_equal_pyproject(family):
    project = pyproject_pins()
    pins = env_pins(ENVS / f"{family}.yaml")
    stray = sorted(set(pins) - set(project) - NOT_IN_PYPROJECT)
    assert not stray, f"envs/{family}.yaml pins packages pyproject.toml does not list: {stray}"
    wrong = {n: (v, project[n]) for n, v in pins.items() if n in project and v != project[n]}
    assert not wrong, f"envs/{family}.yaml (env, pyproject) versions differ: {wrong}"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    major_minor = tuple(int(x) for x in pins["python"].split(".")[:2])
    assert f">={major_minor[0]}.{major_minor[1]}" in requires.replace(" ", ""), (pins["python"], requires)


def test_env_checker_catches_drift(tmp_path):
    """The consistency check itself can fail: a drifted pin and an unpinned package are caught."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dependencies:\n  - numpy=2.4.5\n")
    assert env_pins(bad)["numpy"] != pyproject_pins()["numpy"]
    bad.write_text("dependencies:\n  - numpy>=2\n")
    with pytest.raises(AssertionError, match="not pinned"):
        env_pins(bad)


def test_families_cover_the_stack():
    """Each family carries the libraries its stage imports."""
    need = {"data": {"numpy", "numba", "h5py", "pandas"},
            "evaluation": {"numpy", "numba", "scipy", "matplotlib", "pandas", "h5py"},
            "torch": {"torch", "numpy", "numba", "scipy", "matplotlib", "h5py"}}
    for family, pkgs in need.items():
        missing = pkgs - set(env_pins(ENVS / f"{family}.yaml"))
        assert not missing, f"envs/{family}.yaml lacks {sorted(missing)}"


_CONDA_RE = re.compile(r"^\s+conda:\s*\n?\s*[\"']([^\"']+)[\"']", re.M)


def _conda_directives() -> list[tuple[Path, Path]]:
    found = []
    for smk in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        if smk.exists():
            for m in _CONDA_RE.finditer(smk.read_text()):
                found.append((smk, (smk.parent / m.group(1)).resolve()))
    return found


def test_conda_directives_point_at_envs():
    refs = _conda_directives()
    missing = [f"{smk.name}: {env}" for smk, env in refs if not env.is_file()]
    assert not missing, f"conda: directives to missing files: {missing}"
    used = {env.stem for _, env in refs if env.parent == ENVS.resolve()}
    assert used == FAMILIES, f"envs not referenced by any conda: directive: {sorted(FAMILIES - used)}"


def test_snakemake_lint_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--config", "preset=smoke"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"snakemake --lint found problems:\n{out[-6000:]}"
