"""The project's own report, built from the stores committed under results/ (issue #9).

Whatever the GPU sessions commit, the site built from it must show every stored record with
its own median and % of roofline: a person reading the page reads the store. Skipped, with
the reason, until a store is committed.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from kernbench.analyse.roofline import Rooflines
from kernbench.present import fmt_time
from kernbench.registry import Registry
from kernbench.report import ReportData, build_site
from kernbench.store import open_store
from kernbench.store.sqlstore import DB_NAME
from tests.report.tables import read_tables

RESULTS = Path(__file__).resolve().parents[2] / "results"
STORES = sorted(p.parent for p in RESULTS.rglob(DB_NAME))


@pytest.mark.skipif(not STORES, reason=f"no {DB_NAME} committed under results/ yet")
def test_report_of_the_committed_results_shows_the_stored_figures(tmp_path: Path) -> None:
    registry = Registry.discover()
    site = tmp_path / "site"
    build_site(ReportData.load([RESULTS], registry=registry), site)
    stores = [open_store(path, create=False) for path in STORES]
    roofs = Rooflines(stores, registry)
    expected = Counter(
        (str(r.id), r.variant, fmt_time(r.median_s), f"{p.fraction:.1%}" if p else "-")
        for store in stores
        for r in store.query()
        for p in [roofs.point(r)]
    )
    shown = Counter(
        (
            row["id"].text,
            row["variant"].text.removesuffix(" (baseline)"),
            row["median"].text,
            row["% roofline"].text,
        )
        for row in read_tables(site / "records.html")["records"]
    )
    assert shown == expected


def test_pages_workflow_publishes_what_nox_builds() -> None:
    """The Pages workflow runs ``nox -s report`` and uploads the very directory that session writes."""
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parents[2]
    noxfile = (root / "noxfile.py").read_text(encoding="utf-8")
    site = re.search(r'^REPORT_SITE = "([^"]+)"', noxfile, re.M)
    store = re.search(r'^REPORT_STORE = "([^"]+)"', noxfile, re.M)
    assert site and store and store.group(1) == RESULTS.name
    flow = yaml.safe_load((root / ".github" / "workflows" / "pages.yml").read_text())
    steps = flow["jobs"]["build"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "nox -s report" in runs and "nox -s report --" not in runs  # no other stores
    (upload,) = [s for s in steps if "upload-pages-artifact" in s.get("uses", "")]
    assert upload["with"]["path"] == site.group(1)
    assert "results/**" in flow[True]["push"]["paths"]  # YAML reads the key `on` as True
