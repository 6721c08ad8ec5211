"""Developer sessions: tests, lint, types (and, as features land, report and gate)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types"]
nox.options.default_venv_backend = "venv"

SETUP = ("torch==2.13.0",)
REPORT_STORE = "results"
REPORT_SITE = "report-site"
"""Where ``nox -s report`` reads and writes: .github/workflows/pages.yml publishes REPORT_SITE."""


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite; GPU tests skip themselves without a GPU. ``-- -m 'not gpu'`` for the CPU subset."""
    session.install(*SETUP)
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    session.install(*SETUP)
    session.install("-e", ".[dev]")
    session.run("mypy", "kernbench", "kernels")


@nox.session
def report(session: nox.Session) -> None:
    """The project's report from every store under results/ into report-site/ (what Pages publishes).

    ``nox -s report -- STORE...`` reports other stores instead.
    """
    session.install(*SETUP)
    session.install("-e", ".")
    session.run(
        "kernbench",
        "report",
        *session.posargs,
        "--store",
        REPORT_STORE,
        "-o",
        REPORT_SITE,
        "--allow-empty",
        "--title",
        "kernbench results",
    )


@nox.session
def gate(session: nox.Session) -> None:
    """Bench, then gate against the saved ``main`` baseline (exit 1 on a regression), as CI does.

    ``nox -s gate -- save`` benches and saves the run as the baseline (on the main branch);
    ``nox -s gate`` benches and compares. Other arguments go to ``kernbench bench`` (default: gemm).
    """
    session.install(*SETUP)
    session.install("-e", ".[dev]")
    args = list(session.posargs)
    save = bool(args) and args[0] == "save"
    bench = args[1:] if save else args
    session.run("kernbench", "bench", *(bench or ["gemm"]))
    if save:
        session.run("kernbench", "baseline", "save", "main")
        return
    session.run(
        "kernbench",
        "compare",
        "baseline:main",
        "results",
        "--format",
        "markdown",
        "-o",
        "results/gate-summary.md",
    )
