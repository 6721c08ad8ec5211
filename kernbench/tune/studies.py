"""Optuna storage for studies: SQLite for one process, PostgreSQL (or MySQL) for many.

RDB servers get Optuna's heartbeats: a worker that dies mid-trial stops beating, its trial
is failed after the grace period by a live worker, and the retry callback enqueues the same
config again. SQLite has no heartbeats and is for one process, so a trial left RUNNING there
belongs to a process that was killed: :func:`recover_orphans` fails it and re-queues its
config when the study is opened again.
"""

from __future__ import annotations

import inspect
import random
import time
from collections.abc import Sequence
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from ..errors import UsageError

HEARTBEAT_S = 10
GRACE_S = 30
MAX_RETRY = 3


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _retry_callback() -> Any:
    cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    if cls is None:
        cls = optuna.storages.RetryFailedTrialCallback
    return cls(max_retry=MAX_RETRY)


def open_storage(
    url: str, heartbeat_s: int = HEARTBEAT_S, grace_s: int = GRACE_S
) -> optuna.storages.RDBStorage:
    """Optuna RDB storage at ``url``; heartbeats and retries where the engine is a server."""
    try:
        sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(f"unreadable storage URL {url!r}") from None
    if is_sqlite(url):
        return optuna.storages.RDBStorage(url)
    params = inspect.signature(optuna.storages.RDBStorage.__init__).parameters
    callback_arg = (
        "heartbeat_stale_trial_callback"
        if "heartbeat_stale_trial_callback" in params
        else "failed_trial_callback"
    )
    kwargs: dict[str, Any] = {
        "heartbeat_interval": heartbeat_s,
        "grace_period": grace_s,
        callback_arg: _retry_callback(),
        "engine_kwargs": {"pool_pre_ping": True},
    }
    try:
        return optuna.storages.RDBStorage(url, **kwargs)
    except (sa.exc.OperationalError, ImportError, ModuleNotFoundError) as exc:
        raise UsageError(f"cannot open study storage {url}: {str(exc).splitlines()[0]}") from None


def prepare_database(url: str, attempts: int = 8) -> None:
    """Create the study, record and claim tables once, surviving workers that race to do so.

    Several workers starting together on an empty PostgreSQL database all try to create
    the schema; all but one fail on the duplicate. Retrying finds the tables in place.
    """
    from ..store import ResultsStore
    from .claims import Claims

    for attempt in range(attempts):
        try:
            open_storage(url).remove_session()
            store = ResultsStore(url)
            Claims(store.engine, "")
            store.close()
            return
        except (sa.exc.DBAPIError, UsageError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * attempt)


def recover_orphans(study: optuna.Study, storage: optuna.storages.RDBStorage) -> list[int]:
    """Fail the RUNNING trials a killed single process left behind and re-queue their configs."""
    orphans = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in orphans:
        storage.set_trial_user_attr(t._trial_id, "status", "orphaned")
        if not storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL):
            continue
        study.enqueue_trial(t.params, user_attrs={"retry_of_trial": t.number})
    return [t.number for t in orphans]


def existing(url: str, names: Sequence[str]) -> str:
    """The first of ``names`` that names a study in the storage at ``url``, else the first:
    a study started under an older naming scheme is found and continued, a new one gets
    today's name."""
    if len(names) > 1:
        storage = open_storage(url)
        try:
            for name in names:
                try:
                    storage.get_study_id_from_name(name)
                except KeyError:
                    continue
                return name
        finally:
            storage.remove_session()
    return names[0]
