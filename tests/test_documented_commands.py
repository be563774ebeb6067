"""Every command the README and docs/ show runs as written: each `snakemake` line plans (a dry run of
the smoke preset) and each `bcgan` line parses.

Why: a command copied from the documentation is a user's first contact; one that Snakemake reads
differently than the text says (targets after `--config` are taken as config entries) stopped with a
traceback (issue 37). The lines are taken from fenced code blocks and inline code spans; a line of
another preset runs as `smoke` (preset=..., results/<preset>/), placeholders become examples (PLACEHOLDERS),
config files a line invents (`my.yaml`) are empty, and `...` marks a line whose options alone are checked.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import REPO, copy_workflow, snakemake

from bcgan.cli import build_parser

DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
PRESET = re.compile(r"\bpreset=(\w+|<\w+>)")
RESULTS = re.compile(r"\bresults/(\w+|<\w+>)/")
REMOVED = {"bcgan ablation"}  # named by the docs as a former command
PLACEHOLDERS = {"<cells>": "results/smoke/study/uniform/bcgan/seed1/cell.json", "<file>": "my.yaml"}


def _code(text: str) -> list[tuple[str, bool]]:
    """(line, whole) of fenced code blocks (continuation lines joined, comments cut: whole commands) and of
    inline code spans (often a command's name and one option in a sentence: not whole)."""
    lines, fenced = [], False
    for line in text.replace("\\\n", " ").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append((re.sub(r"\s+#.*$", "", line).strip(), True))
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    return lines + [(span, False) for span in spans]


def _commands(program: str) -> list[tuple[str, str, bool]]:
    """(where, command, whole) of every line of ``program`` in the docs, each distinct command once."""
    found = {}
    for path in DOCS:
        for line, whole in _code(path.read_text()):
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith(program + " ") and part not in REMOVED:
                    found.setdefault(part, (f"{path.relative_to(REPO)}: {part}", whole))
    return [(where, command, whole) for command, (where, whole) in found.items()]


def _smoke(command: str) -> str:
    for placeholder, example in PLACEHOLDERS.items():
        command = command.replace(placeholder, example)
    return RESULTS.sub("results/smoke/", PRESET.sub("preset=smoke", command))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A checkout's workflow files plus the study files the docs name, and no results."""
    work = copy_workflow(tmp_path_factory.mktemp("docs"))
    shutil.copytree(REPO / "studies", work / "studies")
    return work


SNAKEMAKE = [(where, command) for where, command, _ in _commands("snakemake")]


def test_the_docs_show_snakemake_and_bcgan_commands():
    assert len(SNAKEMAKE) >= 10 and len(BCGAN) >= 20


@pytest.mark.parametrize("where, command", SNAKEMAKE, ids=[c for _, c in SNAKEMAKE])
def test_every_documented_snakemake_line_plans(workdir, where, command):
    args = shlex.split(_smoke(command))[1:]
    if "--report" in args:
        pytest.skip("a report needs a finished run (tests/test_report.py makes one)")
    if "conda" in args and shutil.which("conda") is None:
        pytest.skip("Snakemake's conda deployment needs conda, even for a dry run")
    for i, arg in enumerate(args):  # config files a line names but the checkout lacks (my.yaml): empty
        if arg.endswith((".yaml", ".yml")) and not (workdir / arg).exists() and "--configfile" in args[:i]:
            (workdir / arg).write_text("{}\n")
    dry = [] if {"-n", "--dry-run", "--unlock", "--list-rules", "--rulegraph"} & set(args) else ["-n"]
    proc = snakemake(workdir, *args, *dry, check=False)
    assert proc.returncode == 0, f"{where}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"


def _subparser(parser, words: list[str]):
    """The parser of the sub-command ``words`` names, and the words after it."""
    while words:
        choices = next((a.choices for a in parser._actions if getattr(a, "choices", None)
                        and isinstance(a.choices, dict)), None)
        if not choices or words[0] not in choices:
            break
        parser, words = choices[words[0]], words[1:]
    return parser, words


def _variants(command: str) -> list[str]:
    """`bcgan bench ising | psd | models` and `bcgan analyse activity|perturb` -> one command each;
    `[--overwrite]` -> the option."""
    command = command.replace("[", "").replace("]", "")
    head, *alternatives = [p.strip() for p in command.split(" | ")]
    if alternatives:
        stem = head.rsplit(" ", 1)[0]
        return [head, *(f"{stem} {a}" for a in alternatives)]
    words = command.split(" ")
    for i, word in enumerate(words):
        if "|" in word and not word.startswith("-"):
            return [" ".join([*words[:i], w, *words[i + 1:]]) for w in word.split("|")]
    return [command]


BCGAN = [(w, v, whole) for w, c, whole in _commands("bcgan") for v in _variants(c)]


@pytest.mark.parametrize("where, command, whole", BCGAN, ids=[c for _, c, _ in BCGAN])
def test_every_documented_bcgan_line_parses(where, command, whole):
    words = shlex.split(command.replace("<", "").replace(">", ""))[1:]
    if words[0].startswith("-") or words[0].isupper():
        return  # `bcgan --help`, `bcgan COMMAND --help`
    parser, rest = _subparser(build_parser(), words)
    assert parser.prog != "bcgan", f"{where}: no such command"
    known = {s for a in parser._actions for s in a.option_strings}
    unknown = [w.split("=")[0] for w in rest if w.startswith("--") and w.split("=")[0] not in known]
    assert not unknown, f"{where}: {parser.prog} has no option {', '.join(unknown)}"
    if not whole or "..." in words or "--help" in words:
        return  # an inline mention or an elided line: its command and options are all there is to check
    try:
        parser.parse_args(rest)
    except SystemExit as exc:
        pytest.fail(f"{where}: does not parse (exit {exc.code})")
