"""The site builder: every page, its assets and the raw data, written into one directory.

The directory is self-contained: plotly.js, the style and the sort script are copied into
``assets/`` and referenced by relative paths, so the site works from ``file://`` and on any
static host with nothing fetched from the network.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .. import provenance
from ..device import timing_note
from ..errors import UsageError
from ..store.export import FORMATS, samples_frame, write
from .data import ReportData
from .figures import write_plotly
from .page import Content, Page, Section
from .pages import PAGES
from .pages.records import DATA_DIR, DATA_STEM

HERE = Path(__file__).resolve().parent
MARKER = ".kernbench-report"
"""Left in every report directory, so a rebuild may replace it and nothing else is overwritten."""


@dataclass
class Built:
    directory: Path
    pages: list[Path] = field(default_factory=list)
    omitted: dict[str, str] = field(default_factory=dict)
    """Page title -> why it is not in this report."""


def prepare(out: Path) -> None:
    """Create ``out``, refusing to write into a directory that holds something other than a report."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a directory for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out} is not empty and holds no kernbench report: choose another -o")
    if out.is_dir():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    (out / MARKER).write_text("built by kernbench report; safe to delete\n", encoding="utf-8")


def banner(data: ReportData) -> str:
    cpu = data.cpu_records
    if not cpu:
        return ""
    kinds = {e.record.timing_kind for e in data.entries if not e.gpu}
    return (
        f"{cpu} of {len(data.entries)} records are {timing_note(kinds)}. They check the pipeline; "
        "their times and rates say nothing about any GPU."
    )


def build_site(data: ReportData, out: Path, title: str = "kernbench report") -> Built:
    prepare(out)
    for asset in (HERE / "assets").iterdir():
        shutil.copyfile(asset, out / "assets" / asset.name)
    write_plotly(out / "assets")
    frame = data.frame()
    if not frame.empty:
        samples = samples_frame(e.record for e in data.entries)
        for fmt in FORMATS:  # a CSV's raw samples go to records.samples.csv, one row each
            write(frame, out / DATA_DIR / f"{DATA_STEM}.{fmt}", fmt, samples)
    built = Built(out)
    contents: list[tuple[type[Page], Content]] = []
    for page_cls in PAGES:
        content = page_cls().build(data)
        if content.omitted:
            built.omitted[page_cls.title] = content.omitted
        else:
            contents.append((page_cls, content))
    if built.omitted:
        contents[0][1].sections.append(
            Section(
                "Not in this report",
                notes=[f"{name}: {why}" for name, why in built.omitted.items()],
            )
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("base.html")
    nav = [
        {"slug": cls.slug, "title": cls.title, "href": f"{cls.slug}.html"} for cls, _ in contents
    ]
    common = {
        "title": title,
        "nav": nav,
        "banner": banner(data),
        "version": provenance.versions().get("kernbench", "?"),
        "built": provenance.now(),
        "stores": [s.label for s in data.sources],
        "devices": data.devices(),
    }
    for page_cls, content in contents:
        path = out / f"{page_cls.slug}.html"
        html = template.render(
            slug=page_cls.slug, page_title=page_cls.title, sections=content.sections, **common
        )
        path.write_text(html, encoding="utf-8")
        built.pages.append(path)
    return built
