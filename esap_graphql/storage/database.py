"""The database engine and schema migrations (alembic), for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(configured: str | None, data_dir: Path) -> str:
    """The async SQLAlchemy URL in force: the configured one, or SQLite under data_dir."""
    if configured:
        url = configured
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        elif url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'esap.sqlite3').resolve()}"


def create_engine(url: str, *, pool_size: int = 20, max_overflow: int = 10) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so two writers wait, not fail.

    On PostgreSQL the pool keeps ``pool_size`` connections once opened and opens up to
    ``max_overflow`` more at the busiest, closing each of those when it is returned: with a
    small pool and a large overflow, a steady load above the pool's size opened and closed a
    connection per statement (a fifth of a gateway's CPU creating jobs, 32 at once)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
            cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    _ping_when_idle(engine)
    return engine


#: Seconds a pooled connection may sit unused before it is checked at checkout.
IDLE_PING_AFTER = 10.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection at checkout only when it has been idle for a while.

    SQLAlchemy's ``pool_pre_ping`` checks every checkout, which on asyncpg costs three round
    trips (BEGIN, a ping, ROLLBACK): more than the statement that follows, many times a job.
    A connection in steady use is known to be alive; one idle for ``IDLE_PING_AFTER`` seconds
    may have been cut (a database restart, a proxy's idle timeout) and is checked, and
    replaced when dead, as pre-ping would.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < IDLE_PING_AFTER:
            return
        try:
            dbapi_conn.ping()
        except Exception as error:
            raise exc.DisconnectionError() from error  # the pool retries with a new connection


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "heads")


#: Key of the PostgreSQL advisory lock held while migrating ("esap" in ASCII).
_MIGRATION_LOCK = 0x65736170


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database schema to the newest revision of every migration branch.

    Processes starting together (``serve --workers``, several gateways and workers on one
    database) migrate one at a time: the others wait, then find the schema current. Without
    that, two would both see an empty database and the second fail to create its tables."""
    async with _sqlite_file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


@contextlib.asynccontextmanager
async def _sqlite_file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """An exclusive lock on a file beside a SQLite database (none for other databases)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = await asyncio.to_thread(_locked, Path(f"{database}.migrate-lock"))
    try:
        yield
    finally:
        lock.close()  # closing the file releases the lock


def _locked(path: Path) -> BinaryIO:
    """``path`` opened and exclusively locked (waiting for any other holder)."""
    lock = path.open("a+b")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock
