"""Tables of the paper and of our comparison metrics; one module per table, ``bcgan table NAME``.

Each table module defines ``add_arguments(parser)``, ``run(args) -> int`` and a pure ``build(...)``
returning a pandas DataFrame, so tests can call it without files. ``write_table`` here writes the
CSV (full precision, machine-readable) and the Markdown (rounded, for people) atomically.
"""

from __future__ import annotations

from pathlib import Path

from bcgan.io import atomic_path


def format_count(n) -> str:
    """A parameter count as Table 1 prints it (7.23M, 8.2K); '–' for none."""
    if n is None or n == "" or n != n:  # n != n: NaN
        return "–"
    n = float(n)
    if n >= 1e6:
        return f"{n / 1e6:.2f}M"
    if n >= 1e3:
        return f"{n / 1e3:.1f}K"
    return f"{n:.0f}"


def markdown(df) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (cells as str; '|' escaped); no extra dependency."""
    def cell(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    head = [cell(c) for c in df.columns]
    rows = [[cell(x) for x in r] for r in df.itertuples(index=False)]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_table(csv_df, csv_path, md_df, md_path, *, title: str, notes: list[str] = (), sections=()) -> None:
    """CSV of ``csv_df`` and a Markdown file: '# title', the table ``md_df`` (strings), the notes, then
    each (heading, table) of ``sections`` under its '## heading'."""
    with atomic_path(csv_path) as tmp:
        csv_df.to_csv(tmp, index=False)
    text = f"# {title}\n\n" + markdown(md_df) + "\n"
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    for heading, df in sections:
        text += f"\n## {heading}\n\n" + markdown(df) + "\n"
    with atomic_path(md_path) as tmp:
        Path(tmp).write_text(text)
