"""``bcgan explorer``: one self-contained HTML page comparing real and generated images at any grid temperature.

  bcgan explorer --samples samples/V.h5 ... --psd psd/samples_V.csv ... --heldout data/heldout.h5
                 --response psd/response.json --out explorer.html [--shown 8] [--title TEXT]

Open the page in any browser (no server, no network); see bcgan.evaluation.explorer.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bcgan.errors import UserError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("explorer", help="HTML page: real vs every model's images, temperature slider",
                              description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=Path, nargs="+", required=True, help="samples/<variant>.h5 files")
    p.add_argument("--psd", type=Path, nargs="+", required=True,
                   help="psd/samples_<variant>.csv from `bcgan psd table --response`, same order as --samples")
    p.add_argument("--heldout", type=Path, nargs="+", required=True, help="held-out real image shards")
    p.add_argument("--response", type=Path, required=True, help="PSD response model JSON (T_est of real images)")
    p.add_argument("--shown", type=int, default=8, help="images shown per model and temperature (default 8)")
    p.add_argument("--title", default="BcGAN explorer", help="page title")
    p.add_argument("--threads", type=int, default=None, help="PSD threads (default: all usable CPUs)")
    p.add_argument("--out", type=Path, required=True, help="output HTML file")
    p.set_defaults(func=run)


def _variant(samples_path, psd_path, grid, shown):
    """A variant's row from its sample file and PSD table (which must describe the same images)."""
    from bcgan.data.shards import read_shard
    from bcgan.evaluation.explorer import variant_row
    from bcgan.io import read_csv
    from bcgan.nets.names import label

    s = read_shard(samples_path)
    if s["attrs"].get("kind") != "samples":
        raise UserError(f"{samples_path}: not a generated-sample file (kind {s['attrs'].get('kind')!r})")
    df = read_csv(psd_path, ("index", "temperature", "t_est"), what="sample PSD table")
    t = s["temperature"]
    if len(df) != t.size or not np.allclose(df["temperature"].to_numpy(np.float64), t, rtol=0, atol=1e-6):
        raise UserError(f"sample PSD table {psd_path} does not match {samples_path} "
                        f"({len(df)} rows vs {t.size} images, or different temperatures): rebuild it")
    unlike = df["unlike_real"].to_numpy(bool) if "unlike_real" in df else None
    grid = np.unique(t) if grid is None else grid
    return variant_row(label(s["attrs"]["variant"]), s["images"], t, df["t_est"].to_numpy(), grid, unlike, shown), grid


def run(args) -> int:
    from bcgan.data.shards import read_images
    from bcgan.evaluation.explorer import build_page, real_row
    from bcgan.io import atomic_path
    from bcgan.psd.metrics import nearest_sets
    from bcgan.psd.realism import d2_of
    from bcgan.psd.response import load_response

    if len(args.samples) != len(args.psd):
        raise UserError(f"{len(args.samples)} --samples files but {len(args.psd)} --psd tables: give one per variant")
    if args.shown < 1:
        raise UserError(f"--shown must be >= 1, got {args.shown}")
    model = load_response(args.response)
    rows, grid = [], None
    for sp, pp in zip(args.samples, args.psd):
        row, grid = _variant(sp, pp, grid, args.shown)
        rows.append(row)
    images, t = read_images(args.heldout)
    L = model.meta.get("L")
    if L is not None and int(L) != images.shape[1]:
        raise UserError(f"response model {args.response} was fitted to L={L} images; {args.heldout[0]} has "
                        f"L={images.shape[1]}")
    idx = np.unique(nearest_sets(t, grid, args.shown)[0])  # only the real images the page shows
    t_est = np.full(t.size, np.nan)
    t_est[idx] = d2_of(model, images[idx], workers=args.threads)[0]
    rows.insert(0, real_row(images, t, t_est, grid, args.shown))
    tc = float(model.meta.get("tc") or 2.269185314213022)
    notes = (f"Move the slider over the {len(grid)} conditioning temperatures of the sampling grid. Top row: held-out "
             f"real images nearest that temperature (their own T under each). Other rows: the first {args.shown} "
             "images each model generated at that temperature (the same noise in every model). T_est is the "
             "temperature the PSD response model reads back from an image; a red frame marks an image unlike any "
             f"real one (d2 above threshold). L = {images.shape[1]}, Tc = {tc:.3f}.")
    page = build_page(rows, grid, title=args.title, tc=tc, notes=notes)
    with atomic_path(args.out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("explorer: %d rows x %d temperatures, %.0f kB -> %s", len(rows), len(grid), len(page) / 1e3, args.out)
    return 0
