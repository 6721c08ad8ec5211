"""The report in headless Chromium: it loads from file:// alone, draws every chart, and shows the store.

Screenshots are kept under $KERNBENCH_ARTIFACTS/report (or the test's temporary directory)
and the directory is printed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernbench.analyse.roofline import Rooflines
from kernbench.registry import Registry
from kernbench.report import ReportData, build_site
from kernbench.store import open_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.slow,
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKS = "path.point, g.trace.bars path, path.js-line"


@pytest.fixture(scope="module")
def site(
    cpu_results: Path, gpu_like_results: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Both stores in one site, the synthetic one also as the baseline: every page is present."""
    out = tmp_path_factory.mktemp("browser") / "site"
    data = ReportData.load(
        [cpu_results, gpu_like_results], baseline=gpu_like_results, registry=Registry.discover()
    )
    built = build_site(data, out)
    assert not built.omitted, built.omitted
    return out


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("KERNBENCH_ARTIFACTS")
    out = Path(root) / "report" if root else tmp_path_factory.mktemp("report-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    print(f"\nreport screenshots in {out}")
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page with its console errors and every request it made recorded."""

    def __init__(self, browser: object, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_load_state("load")


def test_every_page_loads_offline_and_draws_its_charts(
    site: Path, browser: object, artifacts: Path
) -> None:
    pages = sorted(site.glob("*.html"))
    assert {p.stem for p in pages} == {
        "index",
        "roofline",
        "ladder",
        "attention",
        "tuning",
        "compare",
        "records",
    }
    for path in pages:
        visit = Visit(browser, path.as_uri())
        page = visit.page
        charts = page.locator("div.plotly-graph-div")
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.locator("svg.main-svg").first.wait_for()
            assert chart.locator(MARKS).count() > 0, f"{path.name}: chart {i} drew no marks"
        page.screenshot(path=str(artifacts / f"{path.stem}.png"), full_page=True)
        assert not visit.errors, f"{path.name}: console errors {visit.errors}"
        outside = [u for u in visit.requests if not u.startswith("file://")]
        assert not outside, f"{path.name} requested {outside}"
        page.close()


def test_roofline_hover_shows_a_records_variant_and_config(
    site: Path, browser: object, artifacts: Path
) -> None:
    visit = Visit(browser, (site / "roofline.html").as_uri())
    page = visit.page
    chart = page.locator("div.plotly-graph-div", has_text="H100").first
    chart.scroll_into_view_if_needed()
    points = chart.locator("path.point")
    seen = []
    for i in range(points.count()):
        box = points.nth(i).bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(250)  # plotly draws hover labels on the next animation frames
        label = chart.locator("g.hoverlayer").text_content() or ""
        seen.append(label)
        if "triton_naive" in label:
            assert "config: BLOCK_M=128,BLOCK_N=128,BLOCK_K=64" in label
            assert "35.4% of the bf16 roof (datasheet)" in label  # 350 of 989 TFLOP/s
            page.screenshot(path=str(artifacts / "roofline-hover.png"))
            break
    else:
        pytest.fail(f"no hover label named triton_naive; saw {seen}")
    assert not visit.errors


def test_records_table_shows_the_stored_numbers_and_sorts(
    site: Path, browser: object, gpu_like_results: Path
) -> None:
    visit = Visit(browser, (site / "records.html").as_uri())
    page = visit.page
    rows = page.eval_on_selector_all(
        "#records tbody tr",
        """rows => rows.map(r => Object.fromEntries(Array.from(r.cells).map(
            c => [c.dataset.col, {text: c.textContent, sort: c.dataset.sort}])))""",
    )
    store = open_store(gpu_like_results, create=False)
    roofs = Rooflines([store], Registry.discover())
    shown = {int(r["id"]["text"]): r for r in rows if r["store"]["text"] == str(gpu_like_results)}
    for rec in store.query():
        p = roofs.point(rec)
        assert p is not None and rec.id is not None
        assert float(shown[rec.id]["median"]["sort"]) == rec.median_s
        assert float(shown[rec.id]["% roofline"]["sort"]) == p.fraction
        assert shown[rec.id]["% roofline"]["text"] == f"{p.fraction:.1%}"
    page.locator("#records th[data-col='median']").click()
    medians = page.eval_on_selector_all(
        "#records tbody td[data-col='median']",
        "cells => cells.map(c => c.dataset.sort).filter(s => s !== '')",
    )
    values = [float(v) for v in medians]
    assert values == sorted(values) and len(values) > 3
    page.fill("input.filter[data-table='records']", "triton_paged")
    visible = page.locator("#records tbody tr:visible").count()
    assert visible == 5
