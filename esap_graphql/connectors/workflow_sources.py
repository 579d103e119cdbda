"""Fetching a notebook workflow's files: a shallow git checkout of one ref, or the files of a
Zenodo record (the ESCAPE OSSR is a Zenodo community) through Zenodo's REST API.

Bounded: at most ``max_files`` files and ``max_bytes`` in all; git runs as a subprocess with
a timeout (never blocking the event loop), with prompts off and only the URL schemes the
catalogue allows; every HTTP call has a timeout.

Hierarchy::

    EsapError
     +-- SourceError                code, message
          +-- SourceUnavailable     the repository or Zenodo cannot be reached: try later
          +-- SourceInvalid         no such ref, record or file; too large: fix the workflow
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from esap_graphql.domain.analysis import GitSource, NotebookSource, WorkflowFile, ZenodoSource
from esap_graphql.domain.errors import EsapError


class SourceError(EsapError):
    """A workflow's files could not be had."""

    code = "workflow_source_error"
    transient = False


class SourceUnavailable(SourceError):
    """The repository or record service cannot be reached now."""

    code = "workflow_source_unavailable"
    transient = True


class SourceInvalid(SourceError):
    """The workflow names something that does not exist, or is too large."""

    code = "workflow_source_invalid"


class WorkflowFetcher(Protocol):
    """Gets the files of a notebook workflow."""

    async def fetch(self, source: NotebookSource) -> tuple[WorkflowFile, ...]:
        """The workflow's files, paths relative to its root."""
        ...


@dataclass(frozen=True, kw_only=True)
class Limits:
    """How much one workflow may bring."""

    max_files: int = 500
    max_bytes: int = 50 * 1024 * 1024
    timeout: float = 60.0


class SourceFetcher:
    """Fetches git and Zenodo workflows for real."""

    def __init__(self, *, http: httpx.AsyncClient, limits: Limits | None = None) -> None:
        self._http = http
        self._limits = limits or Limits()

    async def fetch(self, source: NotebookSource) -> tuple[WorkflowFile, ...]:
        if isinstance(source, GitSource):
            return await self._git(source)
        return await self._zenodo(source)

    # ---- git ------------------------------------------------------------------------------

    async def _git(self, source: GitSource) -> tuple[WorkflowFile, ...]:
        checkout = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="esap-workflow-"))
        try:
            await self._run_git("init", "-q", str(checkout))
            await self._run_git(
                "-C", str(checkout), "fetch", "-q", "--depth", "1", source.repository, source.ref
            )
            await self._run_git("-C", str(checkout), "checkout", "-q", "FETCH_HEAD")
            files = await asyncio.to_thread(self._read_tree, checkout)
        finally:
            await asyncio.to_thread(shutil.rmtree, checkout, True)
        if source.path is not None and all(f.path != source.path for f in files):
            raise SourceInvalid(f"{source.repository} at {source.ref} has no file {source.path!r}")
        return files

    async def _run_git(self, *args: str) -> None:
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": "http:https:file:git",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        process = await asyncio.create_subprocess_exec(
            "git",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), self._limits.timeout)
        except TimeoutError:
            await _kill(process)
            raise SourceUnavailable(
                f"git {args[-3] if len(args) > 3 else args[0]} took longer than "
                f"{self._limits.timeout:g} s"
            ) from None
        except asyncio.CancelledError:
            await _kill(process)  # the job was aborted: leave no git behind
            raise
        if process.returncode != 0:
            message = stderr.decode(errors="replace").strip().splitlines()
            detail = message[-1] if message else f"exit status {process.returncode}"
            unreachable = any(
                word in detail.lower()
                for word in ("could not resolve", "connection", "timed out", "unable to access")
            )
            error = SourceUnavailable if unreachable else SourceInvalid
            raise error(f"git failed: {detail}")

    def _read_tree(self, root: Path) -> tuple[WorkflowFile, ...]:
        files: list[WorkflowFile] = []
        total = 0
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            for name in sorted(filenames):
                path = Path(directory, name)
                if path.is_symlink() or not path.is_file():
                    continue  # a link could point outside the checkout
                content = path.read_bytes()
                total += len(content)
                files.append(WorkflowFile(path.relative_to(root).as_posix(), content))
                self._check(len(files), total)
        return tuple(files)

    def _check(self, count: int, total: int) -> None:
        if count > self._limits.max_files:
            raise SourceInvalid(f"the workflow has more than {self._limits.max_files} files")
        if total > self._limits.max_bytes:
            raise SourceInvalid(f"the workflow is larger than {self._limits.max_bytes} bytes")

    # ---- zenodo ---------------------------------------------------------------------------

    async def _zenodo(self, source: ZenodoSource) -> tuple[WorkflowFile, ...]:
        base = source.base_url.rstrip("/")
        record = await self._get(f"{base}/api/records/{source.record}")
        try:
            entries: list[dict[str, Any]] = list(record.json()["files"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceInvalid(f"Zenodo record {source.record} lists no files") from exc
        wanted = [e for e in entries if source.file is None or e.get("key") == source.file]
        if not wanted:
            raise SourceInvalid(f"Zenodo record {source.record} has no file {source.file!r}")
        files: list[WorkflowFile] = []
        total = 0
        for entry in wanted:
            key = str(entry["key"])
            links = entry.get("links") or {}
            url = links.get("self") or links.get("content")
            if not isinstance(url, str):
                url = f"{base}/api/records/{source.record}/files/{quote(key)}/content"
            content = (await self._get(url)).content
            total += len(content)
            files.append(WorkflowFile(key, content))
            self._check(len(files), total)
        return tuple(files)

    async def _get(self, url: str) -> httpx.Response:
        try:
            response = await self._http.get(
                url, timeout=self._limits.timeout, follow_redirects=True
            )
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(f"{url} did not answer in {self._limits.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable(f"cannot reach {url}: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise SourceInvalid(f"{url}: not found")
        if response.status_code >= 400:
            error = SourceUnavailable if response.status_code >= 500 else SourceInvalid
            raise error(f"{url}: HTTP {response.status_code}")
        return response


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


@dataclass
class InMemoryFetcher:
    """Workflows in memory, by repository URL or Zenodo record id."""

    workflows: dict[str, tuple[WorkflowFile, ...]] = field(default_factory=dict)
    fetched: list[NotebookSource] = field(default_factory=list)

    async def fetch(self, source: NotebookSource) -> tuple[WorkflowFile, ...]:
        self.fetched.append(source)
        key = source.repository if isinstance(source, GitSource) else source.record
        if key not in self.workflows:
            raise SourceInvalid(f"no workflow at {key}")
        return self.workflows[key]
