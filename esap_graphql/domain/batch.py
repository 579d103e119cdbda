"""Batch jobs on remote clusters: what we submit, what a back-end reports, and Slurm's job
states as UWS phases. Pure: no I/O.

Error hierarchy (raised by batch back-ends, translated to job failures by ``batch.slurm``)::

    EsapError
     +-- BatchError                   the batch system did not do what we asked
          +-- BatchUnreachable        connection refused, timeout, a broken answer: try later
          +-- BatchAuthenticationFailed  the gateway's credentials were refused (operators)
          +-- BatchRejected           the batch system refused the request, with its reason
          +-- UnknownBatchJob         the batch system does not know (or no longer knows) a job
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.uws import ExecutionPhase

_P = ExecutionPhase


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSubmission:
    """One batch job as a back-end submits it; paths are on the filesystem the cluster shares."""

    name: str
    script: str
    """The batch script, starting with ``#!``."""
    working_directory: str
    stdout_path: str
    stderr_path: str
    environment: Mapping[str, str] = field(default_factory=dict)
    """The whole environment of the script (batch systems do not pass the gateway's on)."""
    time_limit_minutes: int | None = None
    partition: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchStatus:
    """A remote job as the back-end sees it now, with the UWS phase it maps to."""

    remote_id: str
    state: str
    """The batch system's own name of the state (e.g. Slurm's ``PENDING``)."""
    phase: ExecutionPhase
    exit_code: int | None = None
    """The script's exit status, when it ended normally."""
    signal: int | None = None
    """The signal that ended the script, when one did."""
    reason: str | None = None
    """The batch system's reason for the state, when it gives one."""


class BatchError(EsapError):
    """The batch system did not do what we asked."""

    code = "batch_error"


class BatchUnreachable(BatchError):
    """The batch system could not be reached, did not answer in time, or answered nonsense."""

    code = "batch_unreachable"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"the batch system at {where} is unreachable: {reason}", detail=reason)
        self.where = where


class BatchAuthenticationFailed(BatchError):
    """The batch system refused the gateway's credentials (a configuration problem)."""

    code = "batch_authentication_failed"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"the batch system at {where} refused the gateway's credentials: {reason}",
            detail=reason,
        )
        self.where = where


class BatchRejected(BatchError):
    """The batch system refused the request and said why (the reason is sanitised)."""

    code = "batch_rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the batch system refused the job: {reason}", detail=reason)
        self.reason = reason


class UnknownBatchJob(BatchError):
    """The batch system has no job with this id (never had, or has forgotten it)."""

    code = "unknown_batch_job"

    def __init__(self, remote_id: str) -> None:
        super().__init__(f"the batch system has no job {remote_id!r}")
        self.remote_id = remote_id


# ---------------------------------------------------------------- Slurm states

#: Slurm job states (base states and the state flags slurmrestd reports) -> UWS phases.
SLURM_PHASES: Mapping[str, ExecutionPhase] = {
    # waiting for resources, or put back in the queue
    "PENDING": _P.QUEUED,
    "REQUEUED": _P.QUEUED,
    "REQUEUE_HOLD": _P.QUEUED,
    "REQUEUE_FED": _P.QUEUED,
    "RESV_DEL_HOLD": _P.QUEUED,
    # holding resources: starting, running, or cleaning up after the script ended
    "CONFIGURING": _P.EXECUTING,
    "POWER_UP_NODE": _P.EXECUTING,
    "RUNNING": _P.EXECUTING,
    "RESIZING": _P.EXECUTING,
    "SIGNALING": _P.EXECUTING,
    "STAGE_OUT": _P.EXECUTING,
    "COMPLETING": _P.EXECUTING,
    "SUSPENDED": _P.SUSPENDED,
    "STOPPED": _P.SUSPENDED,
    "COMPLETED": _P.COMPLETED,
    "CANCELLED": _P.ABORTED,
    "FAILED": _P.ERROR,
    "TIMEOUT": _P.ERROR,
    "NODE_FAIL": _P.ERROR,
    "OUT_OF_MEMORY": _P.ERROR,
    "BOOT_FAIL": _P.ERROR,
    "DEADLINE": _P.ERROR,
    "PREEMPTED": _P.ERROR,
    "SPECIAL_EXIT": _P.ERROR,
    "REVOKED": _P.ERROR,
    "LAUNCH_FAILED": _P.ERROR,
    "RECONFIG_FAIL": _P.ERROR,
}

#: Flags meaning the job still holds its nodes, whatever its base state says.
_BUSY_FLAGS = frozenset({"COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING"})


def slurm_phase(states: str | Sequence[str]) -> ExecutionPhase:
    """The UWS phase of a Slurm job state: a name (slurmrestd up to v0.0.39) or a list of a
    base state and flags (v0.0.40 on). Unknown names map to ``UNKNOWN``.

    A job that still holds its nodes (``COMPLETING`` and the like) is EXECUTING even when
    its base state is final: its output files may not all be written yet.
    """
    names = [states] if isinstance(states, str) else list(states)
    names = [n.strip().upper() for n in names if n and n.strip()]
    if not names:
        return _P.UNKNOWN
    if any(n in _BUSY_FLAGS for n in names):
        return _P.EXECUTING
    return SLURM_PHASES.get(names[0], _P.UNKNOWN)


def decode_wait_status(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) of a POSIX wait status, as Slurm reports ``exit_code``."""
    if status & 0x7F:
        return None, status & 0x7F
    return (status >> 8) & 0xFF, None


# ---------------------------------------------------------------- messages from outside

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SECRET = re.compile(
    r"(?i)\b(token|password|passwd|secret|api[_-]?key|authorization)(\s*[=:]\s*|\s+)\S+"
)


def sanitise(text: str, *, limit: int = 500, keep_lines: bool = False) -> str:
    """Text from a batch system or a script, fit to show a user: no terminal escapes or
    control characters, nothing that looks like a token or a password, at most ``limit``
    characters (the end is kept: that is where errors are)."""
    text = _ANSI.sub("", text)
    text = _JWT.sub("[token]", text)
    text = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[hidden]", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n"))
    if keep_lines:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line).strip()
    else:
        text = " ".join(text.split())
    if len(text) > limit:
        text = "…" + text[-(limit - 1) :]
    return text


def tail(data: bytes, *, lines: int = 20, limit: int = 2000) -> str:
    """The last lines of a script's output, decoded and sanitised."""
    text = data[-limit * 4 :].decode("utf-8", "replace")
    last = text.splitlines()[-lines:]
    return sanitise("\n".join(last), limit=limit, keep_lines=True)


# ---------------------------------------------------------------- job scripts

#: Container runtime a container workflow's command runs under on the cluster.
CONTAINER_RUNTIME = "apptainer"


def command_script(command: Sequence[str]) -> str:
    """A batch script that runs one command (each argument quoted for the shell)."""
    return f"#!/bin/bash\nexec {shlex.join(command)}\n"


def container_script(image: str, command: Sequence[str]) -> str:
    """A batch script that runs ``command`` in the container ``image`` (Apptainer, which
    binds the working directory, so the staged basket and the output directory are seen)."""
    return command_script([CONTAINER_RUNTIME, "exec", image, *command])
