"""The two ways a kernbench command fails on purpose, and their exit codes."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input: the CLI prints one line and exits with code 2."""

    exit_code = 2


class CheckFailed(Exception):
    """A check the user asked for failed (wrong result, regression): exit code 1."""

    exit_code = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM (what ``timeout``, CI runners and job schedulers send), raised where Ctrl-C's
    KeyboardInterrupt would be, so it takes the same clean way out: the trial under way is
    closed, pools are shut down, what was measured is kept. The CLI exits 128 + 15."""

    exit_code = 143
