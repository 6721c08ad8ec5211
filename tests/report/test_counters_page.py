"""The ladder-counters page, built from a store the emulated device filled."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernbench.registry import Registry
from kernbench.report import ReportData, build_site
from tests.report.conftest import EMU_STEPS
from tests.report.tables import read_tables


@pytest.fixture(scope="module")
def emu_site(emu_results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("emu-site") / "site"
    data = ReportData.load([emu_results], registry=Registry.discover())
    built = build_site(data, out)
    assert "Ladder counters" not in built.omitted
    return out


def test_one_row_per_step_with_the_models_bound_labelled(emu_site: Path) -> None:
    tables = read_tables(emu_site / "counters.html")
    [name] = [k for k in tables if k.startswith("counters-") and k != "counters-steps"]
    rows = tables[name]
    assert [r["variant"].text for r in rows] == list(EMU_STEPS)
    # exact counts: mma's unpadded fragment reads conflict, the padded steps' do not
    conflicts = {r["variant"].text: float(r["conflicts/req"].sort) for r in rows}
    assert conflicts["cuda_mma"] > 1 > conflicts["cuda_vectorized"]
    assert all(r["MAC/out"].text == "64" for r in rows)  # K = 64 multiply-adds per output
    assert all(r["bound"].text in {"tensor", "dram", "shared", "issue", "fp32"} for r in rows)
    html = (emu_site / "counters.html").read_text(encoding="utf-8")
    assert "model, not a measurement" in html and "Caches are not modelled" in html
    explain = tables["counters-steps"]
    assert {r["variant"].text for r in explain} == set(EMU_STEPS)


def test_a_chart_per_targeted_metric(emu_site: Path) -> None:
    html = (emu_site / "counters.html").read_text(encoding="utf-8")
    for key in ("shared-ways", "load-instructions", "shared-loads", "instructions"):
        assert f'id="counters-0-{key}"' in html


def test_measured_beside_modelled_where_a_gpu_store_holds_the_kernel(
    emu_results: Path, tmp_path: Path
) -> None:
    """A (synthetic, H100-labelled) GPU record of the same kernel, config, problem and dtype
    puts its median in the measured column; the other steps show none."""
    from kernbench.store import open_store
    from tests.report.conftest import synthetic

    [rec] = [r for r in open_store(emu_results).query() if r.variant == "cuda_vectorized"]
    gpu = open_store(tmp_path / "gpu")
    gpu.add(synthetic("gemm", rec.variant, rec.problem, rec.dtype, 1.0, 1.0, 12e-6,
                      config=dict(rec.config)))  # fmt: skip
    gpu.close()
    data = ReportData.load([emu_results, tmp_path / "gpu"], registry=Registry.discover())
    build_site(data, tmp_path / "site")
    tables = read_tables(tmp_path / "site" / "counters.html")
    [name] = [k for k in tables if k.startswith("counters-") and k != "counters-steps"]
    measured = {r["variant"].text: r["measured"] for r in tables[name]}
    assert measured["cuda_vectorized"].text == "12 us"
    assert measured["cuda_mma"].text == "-"
