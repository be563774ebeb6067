"""`snakemake --report` on the complete smoke run: the HTML is built and holds every figure."""

from __future__ import annotations

from conftest import snakemake


def test_report_builds_and_mentions_every_figure(smoke_run, tmp_path):
    results = smoke_run / "results" / "smoke"
    report = tmp_path / "report.html"  # outside the shared run, whose results other tests compare
    snakemake(smoke_run, "--cores", "1", "--config", "preset=smoke", "--report", str(report))
    assert report.is_file() and report.stat().st_size > 10_000
    html = report.read_text(errors="replace")
    pngs = sorted(p.stem for p in (results / "figures").glob("*.png"))
    assert pngs, "the smoke run made no figures"
    missing = [name for name in pngs if name not in html]
    assert not missing, f"report lacks figures {missing}"
    for name in ("table1.md", "metrics.md", "accuracy.csv"):
        assert name in html, f"report lacks {name}"
    assert "dead neurons" in html  # a caption made it in
