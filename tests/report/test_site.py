"""The built site: self-contained, complete, and its figures equal the stored records."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kernbench.analyse.roofline import Rooflines
from kernbench.errors import UsageError
from kernbench.present import fmt_time
from kernbench.registry import Registry
from kernbench.report import ReportData, build_site
from kernbench.store import open_store
from tests.helpers import run_cli
from tests.report.conftest import GEMM_4K, GEMM_4K_BYTES, GEMM_4K_FLOPS, synthetic
from tests.report.tables import read_tables

LINK = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.discover()


@pytest.fixture(scope="module")
def gpu_site(
    gpu_like_results: Path, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("gpu-site") / "site"
    build_site(ReportData.load([gpu_like_results], registry=registry), out)
    return out


def test_cli_builds_a_self_contained_site(cpu_results: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = run_cli("report", str(cpu_results), "-o", str(site))
    assert result.returncode == 0, result.stderr
    pages = sorted(p.name for p in site.glob("*.html"))
    assert {"index.html", "roofline.html", "tuning.html", "records.html"} <= set(pages)
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    for page in site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for link in LINK.findall(html):
            assert "://" not in link and not link.startswith("//"), f"{page.name} links out: {link}"
            assert (site / link).exists(), f"{page.name} links to missing {link}"
        assert "CPU interpreter timing: not GPU performance" in html  # the banner, on every page


def test_downloads_hold_every_record(cpu_results: Path, tmp_path: Path, registry: Registry) -> None:
    site = tmp_path / "site"
    build_site(ReportData.load([cpu_results], registry=registry), site)
    records = open_store(cpu_results, create=False).query()
    medians = {r.id: r.median_s for r in records}
    csv = pd.read_csv(site / "data" / "records.csv")
    parquet = pd.read_parquet(site / "data" / "records.parquet")
    as_json = pd.DataFrame(json.loads((site / "data" / "records.json").read_text()))
    for frame, rel in ((csv, 0.0), (parquet, 0.0), (as_json, 1e-9)):  # JSON keeps 15 decimals
        assert len(frame) == len(records)
        for rid, median in zip(frame["id"], frame["median_s"], strict=True):
            expected = medians[int(rid)]
            assert (
                median != median
                if expected is None
                else median == pytest.approx(expected, rel=rel, abs=0)
            )
    samples = pd.read_csv(site / "data" / "records.samples.csv")  # one row per raw sample
    counts = samples.groupby("id").size()
    assert [int(counts.get(r.id, 0)) for r in records] == [len(r.samples) for r in records]
    assert list(map(len, parquet["samples"])) == [len(r.samples) for r in records]


def test_records_table_equals_the_store(
    gpu_site: Path, gpu_like_results: Path, registry: Registry
) -> None:
    store = open_store(gpu_like_results, create=False)
    roofs = Rooflines([store], registry)
    rows = {int(row["id"].text): row for row in read_tables(gpu_site / "records.html")["records"]}
    records = [r for r in store.query() if r.timing_kind != "replay"]
    assert set(rows) == {r.id for r in records}
    for r in records:
        assert r.id is not None
        row, p = rows[r.id], roofs.point(r)
        assert p is not None
        assert float(row["median"].sort) == r.median_s and row["median"].text == fmt_time(
            r.median_s
        )
        assert (
            float(row["% roofline"].sort) == p.fraction
            and row["% roofline"].text == f"{p.fraction:.1%}"
        )
        assert ("L2-resident" in row["% roofline"].title) == p.l2_resident


def test_hand_computed_figures_on_the_pages(gpu_site: Path) -> None:
    records = {
        (r["variant"].text, r["problem"].sort): r
        for r in read_tables(gpu_site / "records.html")["records"]
    }
    naive = records[("triton_naive", GEMM_4K)]
    assert float(naive["% roofline"].sort) == pytest.approx(350 / 989)  # 350 TFLOP/s under 989
    assert naive["bound"].text == "compute"
    tiny = records[
        ("triton_paged", "batch=1,context=128,q_heads=32,kv_heads=8,head_dim=128,block=16")
    ]
    assert (
        float(tiny["% roofline"].sort) == pytest.approx(5.0 / 3.35)
        and "L2-resident" in tiny["% roofline"].title
    )
    tables = read_tables(gpu_site / "ladder.html")
    ladder = {r["variant"].text: r for r in tables["ladder-nvidia-h100-80gb-hbm3"]}
    # 350 of 700 TFLOP/s, and of 750: the baselines named by what ran them on the GPU
    assert float(ladder["triton_naive"]["% cuBLAS"].sort) == pytest.approx(0.5)
    assert float(ladder["triton_naive"]["% CUTLASS sm90"].sort) == pytest.approx(350 / 750)
    attention = read_tables(gpu_site / "attention.html")["attention-nvidia-h100-80gb-hbm3"]
    ours = [r for r in attention if r["variant"].text == "triton_paged"]
    assert len(ours) == 5 and all(
        float(r["% of best baseline"].sort) == pytest.approx(1.25) for r in ours
    )
    html = (gpu_site / "roofline.html").read_text().replace("\\u002f", "/")  # as plotly escapes "/"
    assert "NVIDIA H100 80GB HBM3" in html and "bf16/fp16 989 TFLOP/s, hbm 3.35 TB/s" in html
    assert "CPU interpreter" not in (gpu_site / "index.html").read_text()


def test_comparisons_page_with_a_baseline(
    gpu_like_results: Path, registry: Registry, tmp_path: Path
) -> None:
    pytest.importorskip("kernbench.analyse.compare")
    site = tmp_path / "site"
    build_site(
        ReportData.load([gpu_like_results], baseline=gpu_like_results, registry=registry), site
    )
    rows = read_tables(site / "compare.html")["compare"]
    assert rows and {r["verdict"].text for r in rows} == {
        "unchanged"
    }  # the same records on both sides


def test_refuses_to_overwrite_a_foreign_directory(cpu_results: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("report", str(cpu_results), "-o", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_rebuilds_its_own_directory(cpu_results: Path, tmp_path: Path, registry: Registry) -> None:
    data = ReportData.load([cpu_results], registry=registry)
    build_site(data, tmp_path / "site")
    build_site(data, tmp_path / "site")
    assert (tmp_path / "site" / "index.html").exists()


def test_missing_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("report", str(tmp_path / "nowhere"), "-o", str(tmp_path / "site"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no results store" in result.stderr


def test_allow_empty_says_there_are_no_results(tmp_path: Path, registry: Registry) -> None:
    (tmp_path / "results").mkdir()
    with pytest.raises(UsageError):
        ReportData.load([tmp_path / "results"], registry=registry)
    built = build_site(
        ReportData.load([tmp_path / "results"], registry=registry, allow_empty=True),
        tmp_path / "site",
    )
    assert [p.name for p in built.pages] == ["index.html"]
    assert "No results yet" in (tmp_path / "site" / "index.html").read_text()


def test_a_results_directory_stands_for_every_store_below_it(
    tmp_path: Path, registry: Registry
) -> None:
    for name, variant in (("gpu-a", "torch_matmul"), ("gpu-b", "triton_naive")):
        store = open_store(tmp_path / "results" / name)
        store.add(synthetic("gemm", variant, GEMM_4K, "bf16", GEMM_4K_FLOPS, GEMM_4K_BYTES, 1e-3))
        store.close()
    data = ReportData.load([tmp_path / "results"], registry=registry)
    assert [Path(s.label).name for s in data.sources] == ["gpu-a", "gpu-b"]
    assert sorted(e.record.variant for e in data.entries) == ["torch_matmul", "triton_naive"]


@pytest.fixture(scope="module")
def cpu_site(
    cpu_results: Path, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("cpu-site") / "site"
    build_site(ReportData.load([cpu_results], registry=registry), out)
    return out


def test_a_cpu_torch_baseline_is_never_called_cublas(cpu_site: Path) -> None:
    ladder = read_tables(cpu_site / "ladder.html")["ladder-" + _slug_of_cpu(cpu_site)]
    assert ladder and all("% torch (CPU)" in row for row in ladder)
    assert all(float(row["% torch (CPU)"].sort) > 0 for row in ladder)
    for page in cpu_site.glob("*.html"):
        assert "cuBLAS" not in page.read_text(encoding="utf-8"), page.name


def _slug_of_cpu(site: Path) -> str:
    tables = read_tables(site / "ladder.html")
    (name,) = [t for t in tables if t.startswith("ladder-") and t != "ladder-steps"]
    return name.removeprefix("ladder-")


def test_step_explanations_render_docstring_markup(cpu_site: Path) -> None:
    html = (cpu_site / "ladder.html").read_text(encoding="utf-8")
    assert "<code>tl.dot</code>" in html and "``" not in html


def test_replays_appear_on_the_tuning_page_only(gpu_site: Path) -> None:
    tuning = (gpu_site / "tuning.html").read_text(encoding="utf-8")
    assert "triton_grouped" in tuning and "(replay)" in tuning
    for name in ("records", "roofline", "ladder", "index"):
        assert "triton_grouped" not in (gpu_site / f"{name}.html").read_text(encoding="utf-8")
    assert "1 replayed records" in (gpu_site / "records.html").read_text(encoding="utf-8")


def test_tuning_page_shows_the_time_breakdown(
    cpu_results: Path, registry: Registry, tmp_path: Path
) -> None:
    import optuna

    store = tmp_path / "store"
    shutil.copytree(cpu_results, store)
    url = f"sqlite:///{store / 'kernbench.sqlite3'}"
    (summary,) = optuna.get_all_study_summaries(url)
    study = optuna.load_study(study_name=summary.study_name, storage=url)
    stages = {"compile": 3.0, "samples": 1.5, "other": 0.5}  # written as the tuner writes it
    study.set_user_attr("kernbench_time_breakdown", {"wall_s": 5.0, "trials": 3, "stages": stages})
    build_site(ReportData.load([store], registry=registry), tmp_path / "site")
    (row,) = read_tables(tmp_path / "site" / "tuning.html")["tuning-time"]
    assert float(row["wall time"].sort) == 5.0 and row["largest stage"].text == "compile (60%)"
    assert "Where the tuning time went" in (tmp_path / "site" / "tuning.html").read_text()


def test_store_option_names_the_store_and_the_baseline_home(
    cpu_results: Path, tmp_path: Path
) -> None:
    store = tmp_path / "results"
    shutil.copytree(cpu_results, store)
    saved = run_cli("baseline", "save", "main", "--out", str(store))
    assert saved.returncode == 0, saved.stderr
    site = tmp_path / "site"
    built = run_cli("report", "--store", str(store), "--baseline", "baseline:main", "-o", str(site))
    assert built.returncode == 0, built.stderr
    assert read_tables(site / "compare.html")["compare"]
    again = run_cli("report", "--out", str(store), "-o", str(tmp_path / "site2"))  # old alias
    assert again.returncode == 0, again.stderr
    missing = run_cli(
        "report", "--store", str(store), "--baseline", "baseline:nope", "-o", str(site)
    )
    assert missing.returncode == 2 and "no baseline named 'nope'" in missing.stderr
