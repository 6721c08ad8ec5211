"""Compile pools: their processes ignore Ctrl-C (the parent handles it) and die with the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from kernbench.procpool import spawn_pool
from tests.helpers import gone_within


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
    assert pids and not any(gone_within(p, 0.0) for p in pids)
    parent.kill()
    parent.wait()
    assert all(gone_within(p, 10.0) for p in pids), "a pool process outlived its SIGKILLed parent"
