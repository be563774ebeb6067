"""The explorer page of the smoke run: self-contained, faithful to the sample files, and working in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bcgan.data.shards import read_images, read_shard

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def page_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert match, "page holds no data block"
    return json.loads(match.group(1))


def test_page_is_self_contained_and_shows_the_sample_files(smoke_run):
    results = smoke_run / "results" / "smoke"
    html = (results / "explorer.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|<link\b|<script\s+src|@import|url\(""", html, re.I)
    data = page_data(html)
    assert [r["name"] for r in data["rows"]] == ["real (held-out)", "CcGAN", "CGAN 64 classes", "CGAN 256 classes",
                                                 "CGAN 1024 classes", "BcGAN"]
    s = read_shard(results / "samples" / "bcgan.h5")
    grid = np.unique(s["temperature"])
    np.testing.assert_allclose(data["grid"], grid, atol=1e-4)
    # BcGAN's cell at grid point k: its first images conditioned there, with the T_est of its PSD table
    psd = pd.read_csv(results / "psd" / "samples_bcgan.csv")
    for k in (0, len(grid) - 1):
        cell = data["rows"][-1]["cells"][k]
        at = np.flatnonzero(s["temperature"] == grid[k])
        assert cell["n"] == at.size and len(cell["images"]) == min(8, at.size)
        np.testing.assert_allclose(cell["t_est"], psd["t_est"].to_numpy()[at[:len(cell["images"])]], atol=1e-3)
        np.testing.assert_allclose(cell["mean"], psd["t_est"].to_numpy()[at].mean(), atol=1e-3)
    # real row: the held-out images nearest each grid temperature
    _, real_t = read_images([results / "data" / "heldout.h5"])
    for k, cell in enumerate(data["rows"][0]["cells"]):
        farthest = np.max(np.abs(np.array(cell["t"]) - grid[k]))
        assert farthest <= np.sort(np.abs(real_t - grid[k]))[len(cell["t"]) - 1] + 1e-3
    assert len({c["images"][0] for c in data["rows"][-1]["cells"]}) > 1, "every temperature shows the same image"


def _browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver; "
                    "see .ci/browser-setup)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_slider_changes_the_images_in_a_real_browser(smoke_run, tmp_path):
    """Load the page in headless Chromium, move the slider with the keyboard: every row changes, no console error."""
    page = smoke_run / "results" / "smoke" / "explorer.html"
    grid = page_data(page.read_text(encoding="utf-8"))["grid"]
    driver = _browser()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def state():
        rows = driver.find_elements(By.CSS_SELECTOR, "#rows tr")
        return (driver.find_element(By.ID, "tval").text,
                [[img.get_attribute("src") for img in row.find_elements(By.TAG_NAME, "img")] for row in rows])

    try:
        driver.get(page.as_uri())
        label, before = state()
        assert len(before) == 6 and all(before), "a row shows no images"
        assert all(src.startswith("data:image/png;base64,") for row in before for src in row)
        assert float(label) == pytest.approx(min(grid, key=lambda t: abs(t - 2.269)), abs=1e-3)
        slider = driver.find_element(By.ID, "t")
        slider.send_keys(Keys.HOME)  # the keyboard moves a range input exactly as a user would
        label, after = state()
        assert float(label) == pytest.approx(grid[0], abs=1e-3)
        changed = [a != b for a, b in zip(after, before)]
        assert all(changed), f"rows whose images did not change: {[i for i, c in enumerate(changed) if not c]}"
        slider.send_keys(Keys.RIGHT)
        assert float(state()[0]) == pytest.approx(grid[1], abs=1e-3)
        loaded = driver.execute_script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert loaded, "an image failed to decode"
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert not [r for r in resources if not r.startswith("data:")], f"page fetched {resources}"
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not errors, f"console messages: {errors}"
        out = Path(os.environ.get("BCGAN_TEST_ARTEFACTS") or tmp_path)
        out.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(out / "explorer.png"))
        print(f"screenshot: {out / 'explorer.png'}")
    finally:
        driver.quit()
