"""Claims: at most one process evaluates a config of a study, even with many workers.

A claim is a row with a unique (study, config) key, inserted before a config is measured
and marked done with the record's id afterwards. A second worker proposing the same config
waits for the first and is served its record. A claim whose trial has died (failed by a
stale heartbeat, or left RUNNING by a killed single process) is taken over by the trial
that retries it. Only claims count toward ``--trials``, so duplicates never use budget.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..provenance import now

RUNNING, DONE = "running", "done"

_metadata = sa.MetaData()
claims_table = sa.Table(
    "kernbench_tune_claims",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study", sa.String(400), nullable=False),
    sa.Column("config_key", sa.String(2000), nullable=False),
    sa.Column("trial", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=True),
    sa.Column("updated", sa.String(40), nullable=False),
    sa.UniqueConstraint("study", "config_key", name="uq_kernbench_claim"),
)


def new_owner() -> str:
    """A name for this process that no other process, here or elsewhere, will share."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Claim:
    """The state of one config's claim as this process found it."""

    mine: bool
    state: str
    trial: int
    record_id: int | None = None
    taken_over_from: int | None = None


class Claims:
    """The claims table of one study, in the results database."""

    def __init__(self, engine: sa.engine.Engine, study: str, owner: str | None = None) -> None:
        self.engine = engine
        self.study = study
        self.owner = owner or new_owner()
        _metadata.create_all(engine)

    def _row(self, conn: sa.Connection, key: str) -> sa.Row | None:
        c = claims_table.c
        stmt = sa.select(claims_table).where(c.study == self.study, c.config_key == key)
        return conn.execute(stmt).first()

    def claim(self, key: str, trial: int, is_dead: Callable[[int], bool]) -> Claim:
        """Claim ``key`` for ``trial``; or say who holds it (and take it over if they died)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    claims_table.insert().values(
                        study=self.study,
                        config_key=key,
                        trial=trial,
                        owner=self.owner,
                        state=RUNNING,
                        updated=now(),
                    )
                )
            return Claim(True, RUNNING, trial)
        except sa_exc.IntegrityError:
            pass
        with self.engine.begin() as conn:
            row = self._row(conn, key)
            assert row is not None, "a claim vanished"
            m = row._mapping
            if m["state"] == DONE or not is_dead(int(m["trial"])):
                return Claim(False, m["state"], int(m["trial"]), m["record_id"])
            c = claims_table.c
            taken = conn.execute(
                claims_table.update()
                .where(
                    c.id == m["id"],
                    c.owner == m["owner"],
                    c.trial == m["trial"],
                    c.state == RUNNING,
                )
                .values(owner=self.owner, trial=trial, updated=now())
            ).rowcount
        if taken == 1:
            return Claim(True, RUNNING, trial, taken_over_from=int(m["trial"]))
        return self.claim(key, trial, is_dead)  # someone else took it over first

    def finish(self, key: str, record_id: int | None) -> None:
        c = claims_table.c
        with self.engine.begin() as conn:
            conn.execute(
                claims_table.update()
                .where(c.study == self.study, c.config_key == key, c.owner == self.owner)
                .values(state=DONE, record_id=record_id, updated=now())
            )

    def release(self, key: str) -> None:
        """Give up an unfinished claim (an interrupted evaluation), so it can be retried."""
        c = claims_table.c
        with self.engine.begin() as conn:
            conn.execute(
                claims_table.delete().where(
                    c.study == self.study,
                    c.config_key == key,
                    c.owner == self.owner,
                    c.state == RUNNING,
                )
            )

    def lookup(self, key: str) -> Claim | None:
        with self.engine.connect() as conn:
            row = self._row(conn, key)
        if row is None:
            return None
        m = row._mapping
        return Claim(m["owner"] == self.owner, m["state"], int(m["trial"]), m["record_id"])

    def count(self, state: str | None = None) -> int:
        """Unique evaluations of the study: done, or under way (or only those in ``state``)."""
        stmt = (
            sa.select(sa.func.count())
            .select_from(claims_table)
            .where(claims_table.c.study == self.study)
        )
        if state is not None:
            stmt = stmt.where(claims_table.c.state == state)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def rows(self) -> list[dict[str, object]]:
        stmt = (
            sa.select(claims_table)
            .where(claims_table.c.study == self.study)
            .order_by(claims_table.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]
