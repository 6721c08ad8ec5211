"""Compile pools: their processes ignore Ctrl-C (the parent handles it) and die with the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from kernbench.procpool import spawn_pool


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int, within_s: float = 10.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_a_pool_process_ignores_ctrl_c_and_keeps_working() -> None:
    with spawn_pool(1) as pool:
        pid = pool.submit(os.getpid).result()
        os.kill(pid, signal.SIGINT)
        time.sleep(0.3)
        assert pool.submit(os.getpid).result() == pid


def test_pool_processes_exit_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import os, sys, time
                from kernbench.procpool import spawn_pool
                if __name__ == "__main__":
                    pool = spawn_pool(2)
                    pids = {pool.submit(time.sleep, 0.5) and pool.submit(os.getpid).result()
                            for _ in range(4)}
                    print(" ".join(map(str, pids)), flush=True)
                    time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert pids and all(_alive(p) for p in pids)
    parent.kill()
    parent.wait()
    assert all(_wait_gone(p) for p in pids), "a pool process outlived its SIGKILLed parent"
