"""Four `kernbench tune` workers on one PostgreSQL study; one is SIGKILLed mid-trial.

The server is a real PostgreSQL started by the test on loopback (Debian's binaries; the
test is skipped with the reason when they are missing).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState

from kernbench.space import config_key
from kernbench.store import open_store
from kernbench.store.sqlstore import normalize_url

from .spaces import synthetic_space

pytestmark = pytest.mark.slow


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server binaries (Debian package postgresql) found")
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to start the server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    root.chmod(0o755)
    data = root / "data"
    if as_user:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "kb"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-p {port} -h 127.0.0.1 -k {root}",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield normalize_url(f"postgresql://kb@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def _cmd(space: Path, url: str, study: str, trials: int, seed: int, delay: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kernbench.cli.main",
        "tune",
        "gemm",
        "--device",
        f"replay:{space}",
        "--store",
        url,
        "--study",
        study,
        "--sampler",
        "tpe",
        "--trials",
        str(trials),
        "--seed",
        str(seed),
        "--replay-delay",
        str(delay),
        "--heartbeat",
        "1",
        "--grace",
        "3",
    ]


def _claims(url: str, study: str) -> list[dict[str, object]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select config_key, trial, owner, state from kernbench_tune_claims where study = :s"
                ),
                {"s": study},
            )
            return [dict(r._mapping) for r in rows]
    except sa.exc.ProgrammingError:
        return []
    finally:
        engine.dispose()


def _best(url: str, study: str) -> dict[str, object]:
    """The best config the study's trials saw (measured, or served from the shared cache)."""
    trials = optuna.load_study(study_name=study, storage=url).get_trials(
        states=(TrialState.COMPLETE,)
    )
    return min(
        (t for t in trials if t.user_attrs.get("feasible")), key=lambda t: float(t.value or 0)
    ).user_attrs["config"]


def test_four_workers_one_killed_mid_trial(postgres_url: str, tmp_path: Path) -> None:
    space_path = tmp_path / "space.json"
    space = synthetic_space(space_path)
    trials = len(space.entries)  # the whole valid space: every worker set must find the optimum
    procs = [
        subprocess.Popen(
            _cmd(space_path, postgres_url, "dist", trials, seed, 0.4),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for seed in range(4)
    ]
    victim = procs[0]
    deadline = time.monotonic() + 180
    while True:  # wait until the victim holds a claim it is measuring
        mine = [
            c
            for c in _claims(postgres_url, "dist")
            if c["state"] == "running" and f":{victim.pid}:" in str(c["owner"])
        ]
        if mine and len([c for c in _claims(postgres_url, "dist") if c["state"] == "done"]) >= 4:
            break
        assert victim.poll() is None, victim.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    killed_trial = int(str(mine[0]["trial"]))
    victim.wait()
    for p in procs[1:]:
        output, _ = p.communicate(timeout=300)
        assert p.returncode == 0, output

    study = optuna.load_study(study_name="dist", storage=postgres_url)
    by_number = {t.number: t for t in study.trials}
    assert by_number[killed_trial].state == TrialState.FAIL, "the killed worker's trial is failed"
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed_trial]
    assert retries and any(t.state == TrialState.COMPLETE for t in retries), "and retried"
    assert retries[0].params == by_number[killed_trial].params
    claimed_by = {int(str(c["trial"])) for c in _claims(postgres_url, "dist")}
    for t in study.trials:  # every trial accounted for
        assert t.state in (TrialState.COMPLETE, TrialState.FAIL, TrialState.WAITING), (
            t.number,
            t.state,
        )
        if t.state == TrialState.WAITING:  # queued when the budget ran out, never started
            assert t.number not in claimed_by
        if t.state == TrialState.FAIL and t.number != killed_trial:
            assert t.user_attrs.get("status") == "budget_spent", t
        if t.state == TrialState.COMPLETE:
            assert t.user_attrs.get("status"), t
    claims = _claims(postgres_url, "dist")
    assert len(claims) == trials and all(c["state"] == "done" for c in claims)
    records = open_store(postgres_url).query(study="dist")
    keys = [config_key(r.config) for r in records]
    assert len(keys) == len(set(keys)) == trials, "no config evaluated twice"

    single = subprocess.run(
        _cmd(space_path, postgres_url, "single", trials, 7, 0.0),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stdout + single.stderr
    assert _best(postgres_url, "dist") == _best(postgres_url, "single")
