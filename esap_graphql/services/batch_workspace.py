"""A batch job's directory on the staging filesystem the gateway (and its workers) share
with the cluster's nodes::

    <staging_dir>/<job id>/
        input/basket.vot    the basket, staged before submission ($ESAP_BASKET)
        output/             what the workflow writes there comes back as results ($ESAP_OUTPUT_DIR)
        stdout.txt          the script's standard output and error, as the batch system writes them
        stderr.txt
        remote.json         which remote job runs it: a retried attempt follows that job again

The job runs as the cluster user, not as the gateway: the directories are made group-writable
(and inherit the staging directory's group through its setgid bit), so a staging directory
owned by a group both users belong to works; so does one user for both.

Everything the job wrote is untrusted: outputs are read as regular files only, never through
a symbolic link, and never outside the job's directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import mimetypes
import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Most output files and bytes (all together) a job may bring back as results.
MAX_OUTPUT_FILES = 200
MAX_OUTPUT_BYTES = 2 * 1024**3
#: Names the gateway's own results take; outputs with the same name are renamed.
RESERVED_NAMES = frozenset({"stdout.txt", "stderr.txt"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MIME = {".vot": "application/x-votable+xml", ".votable": "application/x-votable+xml"}
_DIR_MODE = 0o2770
_FILE_MODE = 0o640


class WorkspaceError(Exception):
    """The workspace cannot be used; the message says why, for operators and users."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file the workflow left in ``output/``, under the result name it will get."""

    name: str
    path: Path
    size: int
    mime_type: str


@dataclass(frozen=True, slots=True)
class RemoteRecord:
    """Which remote job an earlier attempt started for this job."""

    facility: str
    remote_id: str


def result_name(relative: Path, taken: set[str]) -> str:
    """A safe, unique result name for an output file (``plots/a b.png`` -> ``plots_a_b.png``)."""
    base = _UNSAFE.sub("_", "_".join(relative.parts)).replace("..", "_")
    base = base.lstrip("._-")[:120] or "output"
    stem, suffix = os.path.splitext(base)
    name, counter = base, 2
    while name in taken or name in RESERVED_NAMES:
        name = f"{stem}-{counter}{suffix}"
        counter += 1
    taken.add(name)
    return name


def _mime(path: Path) -> str:
    return (
        _MIME.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


class Workspace:
    """The directory of one batch job under the staging directory."""

    def __init__(self, *, staging_dir: Path, job_id: str) -> None:
        self.staging_dir = staging_dir
        self.root = staging_dir / job_id
        self.input_dir = self.root / "input"
        self.output_dir = self.root / "output"
        self.basket = self.input_dir / "basket.vot"
        self.script = self.input_dir / "workflow"
        self.stdout = self.root / "stdout.txt"
        self.stderr = self.root / "stderr.txt"
        self._record = self.root / "remote.json"

    # -------------------------------------------------------------- preparation

    def _prepare(self) -> None:
        if not self.staging_dir.is_dir():
            raise WorkspaceError(
                f"the staging directory {self.staging_dir} does not exist here; it must be the "
                "filesystem shared with the cluster"
            )
        if self.root.is_symlink():
            raise WorkspaceError(f"{self.root} is a symbolic link")
        for directory in (self.root, self.input_dir, self.output_dir):
            directory.mkdir(exist_ok=True)
            os.chmod(directory, _DIR_MODE)  # not left to the umask: the job user must write
        # a fresh start for a new submission: nothing of an earlier attempt is taken back
        for child in self.output_dir.iterdir():
            _remove(child)
        for leftover in (self.stdout, self.stderr, self._record):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()

    async def prepare(self) -> None:
        """Create (or empty) the job's directories."""
        await asyncio.to_thread(self._prepare)

    def _write_input(self, path: Path, data: bytes, mode: int = _FILE_MODE) -> None:
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.chmod(partial, mode)
        partial.replace(path)

    async def write_basket(self, data: bytes) -> None:
        """Stage the basket's VOTable as ``input/basket.vot``."""
        await asyncio.to_thread(self._write_input, self.basket, data)

    async def write_script(self, text: str) -> Path:
        """Stage a workflow script as the executable ``input/workflow``; its path."""
        await asyncio.to_thread(self._write_input, self.script, text.encode(), 0o750)
        return self.script

    # -------------------------------------------------------------- remote record

    async def save_record(self, record: RemoteRecord) -> None:
        """Remember the remote job, so a retried attempt follows it instead of submitting."""
        data = json.dumps({"facility": record.facility, "remote_id": record.remote_id}).encode()
        await asyncio.to_thread(self._write_input, self._record, data)

    def _load_record(self) -> RemoteRecord | None:
        try:
            data = json.loads(_read_regular(self._record, 4096))
            return RemoteRecord(facility=str(data["facility"]), remote_id=str(data["remote_id"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    async def load_record(self) -> RemoteRecord | None:
        """The remote job an earlier attempt started, if any."""
        return await asyncio.to_thread(self._load_record)

    # -------------------------------------------------------------- outputs

    def _outputs(self) -> list[OutputFile]:
        files: list[OutputFile] = []
        taken: set[str] = set()
        total = 0
        for path in sorted(_regular_files(self.output_dir)):
            size = path.lstat().st_size
            total += size
            if len(files) >= MAX_OUTPUT_FILES:
                raise WorkspaceError(f"the workflow wrote more than {MAX_OUTPUT_FILES} files")
            if total > MAX_OUTPUT_BYTES:
                raise WorkspaceError(
                    f"the workflow's output files hold more than {MAX_OUTPUT_BYTES} bytes"
                )
            name = result_name(path.relative_to(self.output_dir), taken)
            files.append(OutputFile(name=name, path=path, size=size, mime_type=_mime(path)))
        return files

    async def outputs(self) -> list[OutputFile]:
        """The files in ``output/`` (regular files, symbolic links skipped), with result names;
        raise ``WorkspaceError`` past ``MAX_OUTPUT_FILES`` or ``MAX_OUTPUT_BYTES``."""
        return await asyncio.to_thread(self._outputs)

    async def read(self, path: Path, limit: int) -> bytes:
        """A file the job wrote (never through a symbolic link); the last ``limit`` bytes of a
        longer one; empty when it does not exist."""
        return await asyncio.to_thread(_read_regular, path, limit)

    async def copy(self, path: Path, target: Path) -> int | None:
        """Copy a file the job wrote to ``target`` (atomically); its size, or None when it
        does not exist."""
        return await asyncio.to_thread(_copy_regular, path, target)

    # -------------------------------------------------------------- removal

    async def remove(self) -> None:
        """Delete the job's directory (as far as the gateway may: files the job user made in
        directories of its own may stay)."""
        await asyncio.to_thread(shutil.rmtree, self.root, True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _regular_files(directory: Path) -> Iterator[Path]:
    """Regular files below ``directory``, never following a symbolic link."""
    for current, dirs, files in os.walk(directory, followlinks=False):
        base = Path(current)
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
        for name in files:
            path = base / name
            if stat.S_ISREG(path.lstat().st_mode):
                yield path


def _open_regular(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WorkspaceError(f"{path.name} is a symbolic link; it is not read") from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WorkspaceError(f"{path.name} is not a regular file")
    return fd


def _read_regular(path: Path, limit: int) -> bytes:
    try:
        fd = _open_regular(path)
    except FileNotFoundError:
        return b""
    with os.fdopen(fd, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            file.seek(size - limit)
        return file.read(limit)


def _copy_regular(path: Path, target: Path) -> int | None:
    try:
        fd = _open_regular(path)
    except FileNotFoundError:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with os.fdopen(fd, "rb") as source, partial.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1024 * 1024)
        size = sink.tell()
    partial.replace(target)
    return size
