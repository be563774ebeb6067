"""The explorer page: one self-contained HTML file to compare every model at any grid temperature.

Why: the figures show a few fixed temperatures; a user choosing a model wants to move along the whole
sampling grid and see, at each conditioning temperature, real images at that temperature beside every
variant's generated images, with the temperature the PSD response model reads back from each (T_est).
Built only from files the workflow already has (sample sets, their PSD tables, held-out real images,
the response model): no training, no server, no network. Images are embedded as PNG data URIs, the
data as JSON, and a few lines of JavaScript swap them when the slider moves. Equal inputs give a
byte-identical page.
"""

from __future__ import annotations

import base64
import html
import io
import json

import numpy as np

from bcgan.errors import UserError

__all__ = ["png_data_uri", "real_row", "variant_row", "build_page"]


def png_data_uri(image: np.ndarray) -> str:
    """An L × L uint8 image as a PNG data URI (the browser scales it, pixelated)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), mode="L").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(images, t_est, t_true=None, unlike=None, shown: int = 8) -> dict:
    """One (row, temperature) cell: the first ``shown`` images with their T_est, and the T_est summary of all."""
    t_est = np.asarray(t_est, np.float64)
    k = min(shown, len(t_est))
    out = {"images": [png_data_uri(im) for im in images[:k]], "t_est": [round(float(v), 3) for v in t_est[:k]],
           "n": int(t_est.size), "mean": round(float(t_est.mean()), 3), "sd": round(float(t_est.std()), 3)}
    if t_true is not None:
        out["t"] = [round(float(v), 3) for v in np.asarray(t_true)[:k]]
    if unlike is not None:
        out["unlike"] = [bool(v) for v in np.asarray(unlike)[:k]]
        out["n_unlike"] = int(np.sum(unlike))
    return out


def variant_row(name: str, images, temperature, t_est, grid, unlike=None, shown: int = 8) -> dict:
    """A generator's row: per grid temperature, its images conditioned there and their T_est."""
    temperature = np.asarray(temperature, np.float32)
    cells = []
    for t in np.asarray(grid, np.float32):
        sel = np.flatnonzero(temperature == t)
        if sel.size == 0:
            raise UserError(f"{name}: no images at grid temperature {float(t):g}; all variants must share one grid")
        cell = _cell(images[sel], np.asarray(t_est)[sel], None, None if unlike is None else np.asarray(unlike)[sel],
                     shown)
        cell["mae"] = round(float(np.mean(np.abs(np.asarray(t_est)[sel] - float(t)))), 3)
        cells.append(cell)
    return {"name": name, "cells": cells}


def real_row(images, temperature, t_est, grid, shown: int = 8) -> dict:
    """Held-out real images nearest each grid temperature (their own T shown) and their T_est."""
    from bcgan.psd.metrics import nearest_sets

    idx, grp = nearest_sets(temperature, grid, shown)
    cells = [_cell(images[idx[grp == k]], np.asarray(t_est)[idx[grp == k]], np.asarray(temperature)[idx[grp == k]],
                   None, shown) for k in range(len(grid))]
    return {"name": "real (held-out)", "real": True, "cells": cells}


def build_page(rows: list[dict], grid, *, title: str, tc: float, notes: str) -> str:
    """The HTML page: slider over ``grid`` (starting nearest Tc), one table row per entry of ``rows``."""
    grid = [round(float(t), 4) for t in grid]
    start = int(np.argmin(np.abs(np.asarray(grid) - tc)))
    data = json.dumps({"grid": grid, "tc": round(tc, 4), "rows": rows}, separators=(",", ":"), sort_keys=True)
    data = data.replace("</", "<\\/")  # never close the <script> early
    return (_TEMPLATE.replace("@TITLE@", html.escape(title)).replace("@NOTES@", html.escape(notes))
            .replace("@MAX@", str(len(grid) - 1)).replace("@START@", str(start)).replace("@DATA@", data)
            .replace("@SCRIPT@", _SCRIPT))


_SCRIPT = r"""
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const slider = document.getElementById("t");
const fmt = (v) => Number(v).toFixed(2);
function show(k) {
  const t = D.grid[k];
  document.getElementById("tval").textContent = t.toFixed(3);
  document.getElementById("tcnote").textContent =
      t < D.tc ? "below Tc (ordered domains)" : "above Tc (disordered)";
  const body = document.getElementById("rows");
  body.replaceChildren();
  for (const row of D.rows) {
    const c = row.cells[k];
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    const err = row.real ? "" : ", mean |T_est \u2212 T| " + fmt(c.mae);
    th.innerHTML = "<span class=name></span><small></small>";
    th.querySelector(".name").textContent = row.name;
    th.querySelector("small").textContent = "T_est " + fmt(c.mean) + " \u00b1 " + fmt(c.sd) + " over " + c.n +
        " images" + err + (c.n_unlike ? ", " + c.n_unlike + " unlike real images" : "");
    tr.appendChild(th);
    const td = document.createElement("td");
    c.images.forEach((src, j) => {
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = src;
      img.alt = row.name + " image " + (j + 1) + " at T = " + t;
      if (c.unlike && c.unlike[j]) { img.className = "unlike"; img.title = "unlike any real image (d2 above threshold)"; }
      const cap = document.createElement("figcaption");
      cap.textContent = (c.t ? "T " + fmt(c.t[j]) + " \u00b7 " : "") + "T_est " + fmt(c.t_est[j]);
      fig.append(img, cap);
      td.appendChild(fig);
    });
    tr.appendChild(td);
    body.appendChild(tr);
  }
}
slider.addEventListener("input", () => show(Number(slider.value)));
show(Number(slider.value));
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.controls { position: sticky; top: 0; background: #fff; padding: .5em 0; border-bottom: 1px solid #ccc; }
input[type=range] { width: min(40em, 90vw); vertical-align: middle; }
table { border-collapse: collapse; margin-top: 1em; }
th { text-align: left; vertical-align: top; padding: .4em 1em .4em 0; width: 12em; font-weight: 600; }
th small { display: block; font-weight: normal; color: #555; }
td { padding: .4em 0; border-top: 1px solid #eee; }
figure { display: inline-block; margin: 0 .5em .3em 0; text-align: center; }
img { width: 80px; height: 80px; image-rendering: pixelated; border: 1px solid #999; display: block; }
img.unlike { border-color: #c00; outline: 1px solid #c00; }
figcaption { font-size: 11px; color: #444; }
p.notes { max-width: 60em; color: #444; font-size: 14px; }
</style>
</head>
<body>
<h1>@TITLE@</h1>
<p class="notes">@NOTES@</p>
<div class="controls">
<label for="t">Conditioning temperature T = <output id="tval"></output> J/k<sub>B</sub></label>
<input type="range" id="t" min="0" max="@MAX@" step="1" value="@START@">
<span id="tcnote"></span>
</div>
<table><tbody id="rows"></tbody></table>
<script type="application/json" id="data">@DATA@</script>
<script>@SCRIPT@</script>
</body>
</html>
"""
