"""Developer sessions: tests, lint, types (and, as features land, report and gate)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types"]
nox.options.default_venv_backend = "venv"

SETUP = ("torch==2.13.0",)


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
    session.run("ruff", "format", "--check", "kernbench")


@nox.session
def types(session: nox.Session) -> None:
    session.install(*SETUP)
    session.install("-e", ".[dev]")
    session.run("mypy", "kernbench", "kernels")
