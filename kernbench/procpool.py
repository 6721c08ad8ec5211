"""Pools of fresh Python processes for compile work: spawned, deaf to Ctrl-C, gone with their parent.

Compile-ahead compiles beside the harness, never inside a measuring worker. Its processes
must not outlive the harness: a SIGKILLed ``tune`` would otherwise leave compilers running,
so each process exits as soon as its parent is gone. Nor may one answer Ctrl-C itself: the
parent handles the interrupt (keeping what was recorded) and shuts the pool down, so the
user sees one clean line rather than a traceback from every compiler process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PARENT_POLL_S = 0.5
"""How often a pool process checks that its parent is alive."""


def spawn_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: Sequence[Any] = (),
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (never forked: CUDA and threads do not fork)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_start,
        initargs=(os.getpid(), initializer, tuple(initargs)),
    )


def _start(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with(parent: int) -> None:
    """Ends this process once its parent has gone (it is then re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
