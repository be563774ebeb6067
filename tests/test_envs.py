"""Per-rule-family conda environments (envs/*.yaml), the lock (constraints.txt), pyproject.toml's
ranges and the set-up commands agree, and the rules use the environments.

Why: conda is not reachable where the tests run, so the environments cannot be
solved here; what can drift silently is a pin (envs say numpy 2.4.5, the lock
says 2.4.6), a lock that leaves pyproject's declared range, a set-up command that
forgets the lock, or a conda: directive pointing at a file that is gone.  Also runs
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
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "envs"
LOCK = REPO / "constraints.txt"
FAMILIES = {"data", "evaluation", "torch"}
# conda-forge names that differ from the PyPI names used in pyproject.toml
CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib", "snakemake-minimal": "snakemake"}
# tooling pins that the lock does not (and should not) list
NOT_IN_LOCK = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(path: Path = LOCK) -> dict[str, str]:
    """Package (normalised) -> exact version, from a constraints file of ``name==version`` lines."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s=<>!~,;+]+)", line)
        assert m, f"{path.name}: not an exact pin name==version: {line!r}"
        assert _norm(m.group(1)) not in pins, f"{path.name}: {m.group(1)} pinned twice"
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def declared_requirements() -> list[Requirement]:
    """Every requirement pyproject.toml declares, extras included (self-references dropped)."""
    project = pyproject()
    reqs = [Requirement(d) for d in project["dependencies"]]
    for deps in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(d) for d in deps if _norm(Requirement(d).name) != _norm(project["name"])]
    return reqs


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
def test_env_pins_equal_lock(family):
    lock = lock_pins()
    pins = env_pins(ENVS / f"{family}.yaml")
    stray = sorted(set(pins) - set(lock) - NOT_IN_LOCK)
    assert not stray, f"envs/{family}.yaml pins packages constraints.txt does not list: {stray}"
    wrong = {n: (v, lock[n]) for n, v in pins.items() if n in lock and v != lock[n]}
    assert not wrong, f"envs/{family}.yaml (env, constraints.txt) versions differ: {wrong}"
    requires = SpecifierSet(pyproject()["requires-python"])
    assert Version(pins["python"]) in requires, (pins["python"], str(requires))


def test_lock_lies_inside_declared_ranges():
    """Each declared dependency is locked, at a version its range admits, and each range has a
    lower bound and an upper bound below the next major (an exact pin would turn GPU images away)."""
    lock = lock_pins()
    for req in declared_requirements():
        name = _norm(req.name)
        assert name in lock, f"constraints.txt does not lock {req.name}"
        assert Version(lock[name]) in req.specifier, f"constraints.txt {name}=={lock[name]} outside {req}"
        ops = {s.operator for s in req.specifier}
        assert ops == {">=", "<"}, f"pyproject: {req} should be a range >=LOW,<NEXT_MAJOR"
    requires = SpecifierSet(pyproject()["requires-python"])
    assert "3.11" in requires and "3.12" in requires and "3.13" in requires, str(requires)


def test_setup_commands_use_the_lock():
    """The README's two front-door commands install with the lock, and .ci/run runs the test one."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    regenerate = next(b for b in blocks if "snakemake -c 2 --config preset=smoke" in b).strip()
    tests = next(b for b in blocks if "python -m pytest" in b).strip()
    assert regenerate.startswith("pip install -c constraints.txt -e . && "), regenerate
    assert 'pip install -c constraints.txt -e ".[test]"' in tests, tests
    ci = [ln for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith(("#", "set ", "cd "))]
    assert tests in ci, f".ci/run does not run the README's test command {tests!r}: {ci}"


def test_env_checker_catches_drift(tmp_path):
    """The consistency check itself can fail: a drifted pin and an unpinned package are caught."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dependencies:\n  - numpy=2.4.5\n")
    assert env_pins(bad)["numpy"] != lock_pins()["numpy"]
    bad.write_text("dependencies:\n  - numpy>=2\n")
    with pytest.raises(AssertionError, match="not pinned"):
        env_pins(bad)
    lock = tmp_path / "constraints.txt"
    lock.write_text("numpy>=2\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        lock_pins(lock)


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


def test_snakemake_files_are_snakefmt_formatted():
    """The workflow's files read as the Snakemake community formats them (snakemake-workflows use snakefmt)."""
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    proc = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *map(str, files)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, f"run `snakefmt Snakefile workflow/rules/`:\n{proc.stderr[-3000:]}"


def test_readme_and_docs_links_resolve():
    """The README stays a front door (<= 300 lines) and every relative link of it and of docs/ resolves."""
    readme = REPO / "README.md"
    assert len(readme.read_text().splitlines()) <= 300
    pages = [readme, *sorted((REPO / "docs").rglob("*.md"))]
    assert len(pages) > 1
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = page.parent / path if path else page
            if not linked.exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
            elif anchor and anchor not in _anchors(linked):
                broken.append(f"{page.relative_to(REPO)} -> {target} (no such heading)")
    assert not broken, broken


def _anchors(page) -> set[str]:
    """GitHub's heading anchors of a Markdown page: lower case, punctuation dropped, spaces -> '-'."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_file_the_package_reads_is_package_data():
    """A non-editable `pip install .` runs: the config's presets and schema sit inside the package, in what
    pyproject.toml ships as package data (the schema once lived outside it, beside workflow/rules)."""
    import fnmatch
    import tomllib

    from bcgan import config

    package = REPO / "workflow" / "bcgan"
    shipped = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bcgan"]
    for path in (config.PRESETS_FILE, config.SCHEMA_FILE):
        assert path.exists() and path.parent == package, path
        assert any(fnmatch.fnmatch(path.name, pattern) for pattern in shipped), path.name
