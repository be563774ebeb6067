"""The project's prose says what was found and how to rerun it, never how the work was organised.

Scanned: README.md, docs/, workflow/, tests/, scripts/ and studies/ (text files: .md .py .smk .yaml .yml
.rst .sh, the Snakefile, every file in scripts/). Refused: narration of sittings of work ("in a later
session", "today", "the day before", "we ran ...") and paths of one machine (/work/..., /tmp/<name>,
/root/...). Not prose, so allowed: pytest's fixture scope ``scope="session"`` and the words "test session"
and "session fixture(s)" that name it, and ``start_new_session=`` of subprocess (no word boundary).
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("README.md", "Snakefile", "docs", "workflow", "tests", "scripts", "studies")
SUFFIXES = {".md", ".py", ".smk", ".yaml", ".yml", ".rst", ".sh"}
SKIP_DIRS = {"__pycache__", ".snakemake", ".pytest_cache"}

NARRATION = [
    re.compile(r"\b(this|last|previous|earlier|next|later|that|one|two|three|same) (session|sitting)s?\b", re.I),
    re.compile(r"\bsessions?\b", re.I),
    re.compile(r"\bsittings?\b", re.I),
    re.compile(r"\b(today|yesterday)\b", re.I),
    re.compile(r"\b(the )?(next|previous) day\b|\bthe day before\b", re.I),
    re.compile(r"\bwe ran\b", re.I),
]
MACHINE_PATHS = [
    re.compile(r"(?<![\w.~$])/work/"),
    re.compile(r"(?<![\w.~$])/root/"),
    re.compile(r"(?<![\w.~$])/tmp/[A-Za-z0-9_.-]+"),
]
# pytest's and subprocess's own words: removed from a line before it is read as prose
NOT_PROSE = re.compile(r"""scope\s*=\s*["']session["']|\b(test|pytest) session\b|\bsession fixtures?\b""", re.I)


def _text_files() -> list[Path]:
    files = []
    for root in ROOTS:
        path = REPO / root
        if path.is_file():
            files.append(path)
            continue
        for f in sorted(path.rglob("*")):
            rel = f.relative_to(REPO)
            if not f.is_file() or any(p in SKIP_DIRS or p.endswith(".egg-info") or p.startswith(".")
                                       for p in rel.parts[:-1]):
                continue
            if f.suffix in SUFFIXES or f.name == "Snakefile" or rel.parts[0] == "scripts":
                files.append(f)
    return [f for f in files if f.resolve() != Path(__file__).resolve()]


def findings(text: str) -> list[str]:
    """Every narration or machine path in `text`, as 'line: match'."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        prose = NOT_PROSE.sub("", line)
        for pattern in NARRATION + MACHINE_PATHS:
            for match in pattern.finditer(prose):
                found.append(f"{number}: {match.group(0)!r} in {line.strip()[:120]!r}")
    return found


def test_scanner_sees_the_project():
    names = {f.relative_to(REPO).as_posix() for f in _text_files()}
    for expected in ("README.md", "Snakefile", "docs/results.md", "docs/results/midi.md", "docs/development.md",
                     "workflow/rules/study.smk", "workflow/bcgan/presets.yaml", "workflow/resources/mini.yaml",
                     "workflow/report/study_summary.rst", "tests/conftest.py", "scripts/gpu-check",
                     "studies/mini-embeddings.yaml"):
        assert expected in names, f"{expected} is not scanned"
    assert "tests/test_docs_prose.py" not in names


def test_no_narration_of_the_work_and_no_machine_paths():
    problems = []
    for f in _text_files():
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        problems += [f"{f.relative_to(REPO)}:{hit}" for hit in findings(text)]
    assert not problems, "narration of the work or a machine path (say what was found and the command):\n" + \
        "\n".join(problems)


def test_the_patterns_catch_narration_and_spare_pytest_terms():
    for prose in ("Seeds 2 and 3 ran in the next three sessions.", "trained in an earlier session (above)",
                  "the last sitting", "the arm added today", "464 s against 388 s the day before",
                  "we ran the study, then the summary", "a clean clone (`/work/midi-run`)",
                  "git worktree add /tmp/emb-parent 7bcf639", "see /root/notes"):
        assert findings(prose), prose
    for not_prose in ('@pytest.fixture(scope="session")', "run once per test session",
                      "its own session fixtures", "subprocess.Popen(cmd, start_new_session=True)",
                      "git worktree add <dir> 7bcf639", "results/mini/benchmarks/*.tsv", "tmp_path / 'out'",
                      "https://example.org/work/x"):
        assert not findings(not_prose), not_prose
