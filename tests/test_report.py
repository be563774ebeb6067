"""`snakemake --report` on the complete smoke run: the HTML is built and holds every figure."""

from __future__ import annotations

import re

from conftest import snakemake

# docutils reports problems in a caption as "<string>:3: (ERROR/3) ..." and renders them as a system-message box.
DOCUTILS_MESSAGE = re.compile(r"\((?:INFO|WARNING|ERROR|SEVERE)/\d\)")


def test_report_builds_and_mentions_every_figure(smoke_run, tmp_path):
    results = smoke_run / "results" / "smoke"
    report = tmp_path / "report.html"  # outside the shared run, whose results other tests compare
    proc = snakemake(smoke_run, "--cores", "1", "--config", "preset=smoke", "--report", str(report))
    messages = [line for line in (proc.stdout + proc.stderr).splitlines() if DOCUTILS_MESSAGE.search(line)]
    assert not messages, "docutils complained about a caption:\n" + "\n".join(messages)
    assert report.is_file() and report.stat().st_size > 10_000
    html = report.read_text(errors="replace")
    pngs = sorted(p.stem for p in (results / "figures").glob("*.png"))
    assert pngs, "the smoke run made no figures"
    missing = [name for name in pngs if name not in html]
    assert not missing, f"report lacks figures {missing}"
    assert "system-message" not in html, "a caption renders as a docutils error box"
    for name in ("table1.md", "metrics.md", "accuracy.csv", "explorer.html"):
        assert name in html, f"report lacks {name}"
    assert "dead neurons" in html  # a caption made it in
