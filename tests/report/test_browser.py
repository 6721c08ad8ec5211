"""The report in headless Chromium: it loads from file:// alone, draws every chart, and shows the store.

Screenshots are kept under $KERNBENCH_ARTIFACTS/report (or the test's temporary directory)
and the directory is printed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kernbench.analyse.roofline import Rooflines
from kernbench.registry import Registry
from kernbench.report import ReportData, build_site
from kernbench.store import open_store
from tests.report.conftest import GEMM_4K, GEMM_4K_BYTES, GEMM_4K_FLOPS, synthetic

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),  # one worker builds the module's sites, not each
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


WIDTHS = (1400, 390)
PAGES = {
    "index",
    "roofline",
    "ladder",
    "counters",
    "attention",
    "tuning",
    "history",
    "compare",
    "records",
}
CHART_CHECK = """() => Array.from(document.querySelectorAll('div.js-plotly-plot')).map(gd => {
    const title = t => (t && (t.text || (typeof t === 'string' ? t : ''))) || '';
    return {id: gd.id, title: title(gd.layout.title), x: title(gd.layout.xaxis.title),
            y: title(gd.layout.yaxis.title), traces: gd.data.length,
            hidden: gd.closest('section').hidden};
})"""
OVERFLOW = """() => {
    const main = document.querySelector('main');
    return {page: document.documentElement.scrollWidth - window.innerWidth,
            main: main.scrollWidth - main.clientWidth,
            tables: Array.from(document.querySelectorAll('.table-wrap'))
                .filter(w => w.scrollWidth > w.clientWidth).map(w => w.querySelector('table').id)};
}"""


@pytest.fixture(scope="module")
def site(
    cpu_results: Path,
    cpu_results_again: Path,
    gpu_like_results: Path,
    emu_results: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Two real CPU stores, an emulated one and the synthetic H100 one (also the baseline):
    every page is present."""
    out = tmp_path_factory.mktemp("browser") / "site"
    data = ReportData.load(
        [cpu_results, cpu_results_again, gpu_like_results, emu_results],
        baseline=gpu_like_results,
        registry=Registry.discover(),
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

    def __init__(self, browser: object, url: str, width: int = 1400) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_load_state("load")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_loads_offline_fits_and_draws_titled_charts(
    site: Path, browser: object, artifacts: Path, width: int
) -> None:
    pages = sorted(site.glob("*.html"))
    assert {p.stem for p in pages} == PAGES
    for path in pages:
        visit = Visit(browser, path.as_uri(), width)
        page = visit.page
        charts = page.locator("div.plotly-graph-div")
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.locator("svg.main-svg").first.wait_for(state="attached")
            assert chart.locator(MARKS).count() > 0, f"{path.name}: chart {i} drew no marks"
        for chart in page.evaluate(CHART_CHECK):
            assert chart["title"] and chart["x"] and chart["y"], f"{path.name}: {chart}"
            assert chart["traces"] >= 1, f"{path.name}: {chart}"
        overflow = page.evaluate(OVERFLOW)
        assert overflow["page"] <= 0 and overflow["main"] <= 0, (
            f"{path.name} at {width}px: {overflow}"
        )
        if width >= 1400:  # on a desktop every column is on screen; a phone scrolls the table
            assert not overflow["tables"], f"{path.name}: tables wider than the page"
        page.screenshot(path=str(artifacts / f"{path.stem}-{width}.png"), full_page=True)
        assert not visit.errors, f"{path.name}: console errors {visit.errors}"
        outside = [u for u in visit.requests if not u.startswith("file://")]
        assert not outside, f"{path.name} requested {outside}"
        page.close()


def test_the_cpu_torch_baseline_is_not_called_cublas_in_the_browser(
    site: Path, browser: object
) -> None:
    visit = Visit(browser, (site / "ladder.html").as_uri())
    page = visit.page
    page.select_option("#device-select", label="NVIDIA H100 80GB HBM3")
    assert "% cuBLAS" in page.locator("main").inner_text()
    cpu = next(
        d
        for d in page.eval_on_selector_all("#device-select option", "os => os.map(o => o.value)")
        if d.startswith("CPU")
    )
    page.select_option("#device-select", value=cpu)
    text = page.locator("main").inner_text()
    assert "% torch (CPU)" in text and "cuBLAS" not in text
    assert (
        "torch (CPU)"
        in page.locator("section:not([hidden]) div.plotly-graph-div").first.inner_text()
    )


def test_counters_page_draws_a_chart_per_counter_and_labels_the_model(
    site: Path, browser: object
) -> None:
    for width in WIDTHS:
        visit = Visit(browser, (site / "counters.html").as_uri(), width)
        charts = visit.page.evaluate(CHART_CHECK)
        assert len(charts) >= 6 and all(c["title"] and c["y"] for c in charts)
        body = visit.page.inner_text("main")
        assert "model, not a measurement" in body and "cuda_ldmatrix" in body
        assert not visit.errors
        visit.page.close()


def test_device_selector_shows_one_device_at_a_time(site: Path, browser: object) -> None:
    for name in ("roofline", "ladder", "attention"):
        visit = Visit(browser, (site / f"{name}.html").as_uri())
        page = visit.page
        devices = page.eval_on_selector_all("#device-select option", "os => os.map(o => o.value)")
        assert devices[0] == "" and len(devices) == 4  # all, the H100, the CPU, the emulator
        for device in devices[1:]:
            page.select_option("#device-select", value=device)
            shown = page.eval_on_selector_all(
                "section[data-device]:not([hidden])", "ss => ss.map(s => s.dataset.device)"
            )
            if shown:
                assert set(shown) == {device}, (name, device, shown)
            else:  # e.g. no attention record of the CPU store: the page says so
                assert page.locator("#device-empty").is_visible(), (name, device)
        page.select_option("#device-select", value="")
        shown = page.eval_on_selector_all(
            "section[data-device]:not([hidden])", "ss => ss.map(s => s.dataset.device)"
        )
        assert len(set(shown)) >= 1 and not page.locator("#device-empty").is_visible()
        assert not visit.errors
        page.close()


def test_history_draws_two_stores_of_one_device(site: Path, browser: object) -> None:
    visit = Visit(browser, (site / "history.html").as_uri())
    page = visit.page
    sections = page.eval_on_selector_all(
        "section[data-device]", "ss => ss.map(s => s.dataset.device)"
    )
    assert len(sections) == 1 and sections[0].startswith("CPU")  # the H100 store stands alone
    xs = page.evaluate(
        "() => Array.from(document.querySelectorAll('div.js-plotly-plot'))"
        ".map(gd => gd.data.map(t => t.x.length))"
    )
    assert xs and any(n == 2 for traces in xs for n in traces)  # one point per store
    assert not visit.errors


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
        if rec.timing_kind == "replay":
            assert rec.id not in shown  # replays are on the tuning page only
            continue
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


@pytest.fixture(scope="module")
def many_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 synthetic records (through the store API, labelled synthetic): enough for three pages."""
    out = tmp_path_factory.mktemp("many")
    store = open_store(out / "store")
    for i in range(120):
        rec = synthetic(
            "gemm",
            ("triton_naive", "triton_grouped", "triton_pipelined")[i % 3],
            GEMM_4K,
            "bf16",
            GEMM_4K_FLOPS,
            GEMM_4K_BYTES,
            1e-3 * (1 + i),
            config={"BLOCK_M": 16 * (1 + i)},
            seed=i,
        )
        store.add(replace(rec, status="ok" if i % 4 else "wrong_result"))
    store.close()
    build_site(ReportData.load([out / "store"], registry=Registry.discover()), out / "site")
    return out / "site"


def test_records_are_paged_and_filtered_by_column(many_records: Path, browser: object) -> None:
    visit = Visit(browser, (many_records / "records.html").as_uri(), 390)
    page = visit.page
    visible = "#records tbody tr:visible"
    assert page.locator(visible).count() == 50
    assert "rows 1-50 of 120" in page.locator(".pager .where").inner_text()
    page.click(".pager .next")
    page.click(".pager .next")
    assert page.locator(visible).count() == 20 and page.locator(".pager .next").is_disabled()
    page.select_option("select.column-filter[data-col='status']", "wrong_result")
    assert page.locator(visible).count() == 30  # every fourth record; back on page 1
    page.select_option("select.column-filter[data-col='variant']", "triton_naive")
    rows = page.eval_on_selector_all(
        visible, "rs => rs.map(r => r.querySelector('td[data-col=variant]').textContent)"
    )
    assert rows == ["triton_naive"] * 10  # i % 12 == 0
    page.select_option("select.column-filter[data-col='status']", "")
    assert page.locator(visible).count() == 40
    overflow = page.evaluate(OVERFLOW)
    assert overflow["page"] <= 0 and overflow["main"] <= 0, overflow
    assert not visit.errors
