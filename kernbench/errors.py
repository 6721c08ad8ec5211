"""The two ways a kernbench command fails on purpose, and their exit codes."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input: the CLI prints one line and exits with code 2."""

    exit_code = 2


class CheckFailed(Exception):
    """A check the user asked for failed (wrong result, regression): exit code 1."""

    exit_code = 1
