"""Job result files on disk: ``<result_dir>/<job id>/<result name>``.

Gateways and workers must share this directory (a local disk for one host, a shared volume
for several).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

from esap_graphql.domain.jobs import JobResult

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def check_name(name: str) -> str:
    """The name, if it is safe as a single path segment; raise ``ValueError``."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"unsafe result name {name!r}")
    return name


class ResultFiles:
    """Reads and writes the result files of jobs."""

    def __init__(self, *, root: Path) -> None:
        self._root = root

    def directory(self, job_id: str) -> Path:
        """The job's result directory (created on first write)."""
        return self._root / check_name(job_id)

    def path(self, job_id: str, name: str) -> Path:
        """Where a result lives."""
        return self.directory(job_id) / check_name(name)

    def _write(self, job_id: str, name: str, data: bytes) -> int:
        path = self.path(job_id, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)
        return len(data)

    async def write(self, job_id: str, name: str, data: bytes, *, mime_type: str) -> JobResult:
        """Store a result (atomically: readers never see half a file)."""
        size = await asyncio.to_thread(self._write, job_id, name, data)
        return JobResult(name=name, mime_type=mime_type, size=size)

    async def delete(self, job_id: str) -> None:
        """Remove every result of the job."""
        await asyncio.to_thread(shutil.rmtree, self.directory(job_id), True)

    @contextlib.asynccontextmanager
    async def writer(
        self, job_id: str, name: str
    ) -> AsyncIterator[Callable[[bytes], Awaitable[None]]]:
        """A function that appends to a result as it streams in; the file appears (atomically)
        when the block ends without an error, and nothing is left behind when it fails."""
        path = self.path(job_id, name)
        partial = path.with_name(path.name + ".part")

        def open_partial() -> BinaryIO:
            path.parent.mkdir(parents=True, exist_ok=True)
            return partial.open("wb")

        file = await asyncio.to_thread(open_partial)

        async def write(chunk: bytes) -> None:
            await asyncio.to_thread(file.write, chunk)

        try:
            yield write
        except BaseException:
            await asyncio.to_thread(file.close)
            await asyncio.to_thread(partial.unlink, True)
            raise
        await asyncio.to_thread(file.close)
        await asyncio.to_thread(partial.replace, path)
