"""SQL storage of records through SQLAlchemy: a SQLite file by default, any RDB URL otherwise.

The same database holds the Optuna studies, so one file is a whole run's state. Each record
is committed as soon as it is measured: a crash, a kill or Ctrl-C loses nothing recorded.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..errors import UsageError
from ..provenance import now
from .records import Record

DB_NAME = "kernbench.sqlite3"
_JSON_FIELDS = (
    "config",
    "samples",
    "throttled",
    "stats",
    "method",
    "settings",
    "resources",
    "device",
    "provenance",
)

metadata = sa.MetaData()
records_table = sa.Table(
    "kernbench_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("family", sa.String(100), nullable=False, index=True),
    sa.Column("variant", sa.String(200), nullable=False, index=True),
    sa.Column("language", sa.String(20), nullable=False),
    sa.Column("baseline", sa.Boolean, nullable=False),
    sa.Column("problem", sa.String(500), nullable=False),
    sa.Column("dtype", sa.String(10), nullable=False),
    sa.Column("config_key", sa.Text, nullable=False),
    sa.Column("status", sa.String(30), nullable=False, index=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("error", sa.Float, nullable=True),
    sa.Column("median_s", sa.Float, nullable=True),
    sa.Column("noisy", sa.Boolean, nullable=False),
    sa.Column("flops", sa.Float, nullable=False),
    sa.Column("bytes", sa.Float, nullable=False),
    sa.Column("device_name", sa.String(200), nullable=False),
    sa.Column("timing_kind", sa.String(30), nullable=False),
    sa.Column("source_hash", sa.String(64), nullable=False),
    sa.Column("study", sa.String(200), nullable=False),
    sa.Column("trial", sa.Integer, nullable=True),
    *(sa.Column(name, sa.Text, nullable=False) for name in _JSON_FIELDS),
)


def default_url(out_dir: str | Path) -> str:
    return f"sqlite:///{Path(out_dir) / DB_NAME}"


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def normalize_url(url: str) -> str:
    """Check a storage URL and name the PostgreSQL driver that is installed.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3; psycopg2 serves as well.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa_exc.ArgumentError:
        raise UsageError(
            f"unreadable storage URL {url!r} (expected sqlite:///FILE or postgresql://...)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql", "mysql"):
        raise UsageError(
            f"unsupported storage URL {url!r} (use sqlite:///FILE or postgresql://...)"
        )
    if url.startswith("postgresql://"):
        for module, dialect in (
            ("psycopg", "postgresql+psycopg"),
            ("psycopg2", "postgresql+psycopg2"),
        ):
            if importlib.util.find_spec(module) is not None:
                return dialect + url.removeprefix("postgresql")
    return url


def _make_folder(folder: Path) -> None:
    """Create the store's folder, or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot create results folder {folder}: {why}") from None


class ResultsStore:
    """Records in an RDB. Opening checks the file is a database before anything is written."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        url = normalize_url(url)
        parsed = sa.engine.make_url(url)
        self.url = url
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            path = Path(parsed.database)
            if not create and not path.exists():
                raise UsageError(f"no results store at {path}")
            if path.exists() and path.is_dir():
                raise UsageError(f"{path} is a directory, not a results store")
            _make_folder(path.parent)
        try:
            self.engine = sa.create_engine(url, future=True)
            with self.engine.begin() as conn:
                if parsed.get_backend_name() == "sqlite":
                    conn.exec_driver_sql(
                        "PRAGMA schema_version"
                    ).fetchall()  # fails on non-databases
                if create:
                    metadata.create_all(conn)
                elif not sa.inspect(conn).has_table(records_table.name):
                    raise UsageError(f"{url} holds no kernbench records")
        except sa_exc.DatabaseError as exc:
            raise UsageError(
                f"cannot open results store {url}: {str(exc.orig).splitlines()[0]}"
            ) from None
        except sa_exc.NoSuchModuleError:
            raise UsageError(
                f"no database driver for {url!r} (pip install kernbench[postgres])"
            ) from None
        except sa_exc.OperationalError as exc:
            raise UsageError(
                f"cannot open results store {url}: {str(exc.orig).splitlines()[0]}"
            ) from None

    def add(self, record: Record) -> Record:
        """Insert and commit one record; returns it with its id."""
        from ..space import config_key

        record.created = record.created or now()
        row: dict[str, Any] = {
            "created": record.created,
            "run_id": record.run_id,
            "family": record.family,
            "variant": record.variant,
            "language": record.language,
            "baseline": record.baseline,
            "problem": record.problem,
            "dtype": record.dtype,
            "config_key": config_key(record.config),
            "status": record.status,
            "message": record.message,
            "error": _finite(record.error),
            "median_s": record.median_s,
            "noisy": record.noisy,
            "flops": record.flops,
            "bytes": record.bytes,
            "device_name": record.device_name,
            "timing_kind": record.timing_kind,
            "source_hash": record.source_hash,
            "study": record.study,
            "trial": record.trial,
        }
        for name in _JSON_FIELDS:
            row[name] = json.dumps(getattr(record, name), default=str)
        try:
            with self.engine.begin() as conn:
                key = conn.execute(records_table.insert().values(**row)).inserted_primary_key
        except sa_exc.OperationalError as exc:  # read-only file, full disk, lost server
            raise UsageError(
                f"cannot write to results store {self.url}: {str(exc.orig).splitlines()[0]}"
            ) from None
        assert key is not None
        record.id = int(key[0])
        return record

    def add_many(self, records: Iterable[Record]) -> None:
        for r in records:
            self.add(r)

    def query(self, **where: Any) -> list[Record]:
        """Records whose columns equal the given values (None values are ignored)."""
        stmt = sa.select(records_table).order_by(records_table.c.id)
        for name, value in where.items():
            if value is not None:
                stmt = stmt.where(records_table.c[name] == value)
        with self.engine.connect() as conn:
            return [self._to_record(row._mapping) for row in conn.execute(stmt)]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.query())

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(records_table)).scalar_one()
            )

    @staticmethod
    def _to_record(row: Any) -> Record:
        data = {name: json.loads(row[name]) for name in _JSON_FIELDS}
        return Record(
            id=row["id"],
            created=row["created"],
            run_id=row["run_id"],
            family=row["family"],
            variant=row["variant"],
            language=row["language"],
            baseline=bool(row["baseline"]),
            problem=row["problem"],
            dtype=row["dtype"],
            status=row["status"],
            message=row["message"],
            error=row["error"],
            noisy=bool(row["noisy"]),
            flops=row["flops"],
            bytes=row["bytes"],
            source_hash=row["source_hash"],
            study=row["study"],
            trial=row["trial"],
            **data,
        )

    def close(self) -> None:
        self.engine.dispose()


def open_store(location: str | Path, *, create: bool = True) -> ResultsStore:
    """A store from a URL, a ``.sqlite3`` file or a results directory."""
    text = str(location)
    if "://" in text:
        return ResultsStore(text, create=create)
    path = Path(text)
    if path.suffix in (".sqlite3", ".sqlite", ".db") or path.is_file():
        return ResultsStore(f"sqlite:///{path}", create=create)
    return ResultsStore(default_url(path), create=create)
