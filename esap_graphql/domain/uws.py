"""UWS 1.1 execution phases and the transitions between them that the standard allows.

The graph (UWS 1.1, section 2.1.3, plus the server-side moves a queue needs)::

    PENDING --run--> QUEUED --worker--> EXECUTING --> COMPLETED | ERROR | ABORTED
       |  \\            |                   |
       |   HELD --------+                   +--lost worker, retry--> QUEUED
       +--> ABORTED / ERROR (from any non-final phase)
    COMPLETED / ERROR / ABORTED --destruction--> ARCHIVED
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from esap_graphql.domain.errors import UsageError


class ExecutionPhase(enum.Enum):
    """The phases of UWS 1.1 (``uws:ExecutionPhase``)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"
    HELD = "HELD"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"

    @property
    def is_final(self) -> bool:
        """True when the job will not change phase again (except to ARCHIVED)."""
        return self in FINAL_PHASES

    @property
    def is_active(self) -> bool:
        """True while the job waits for or occupies a worker."""
        return self in ACTIVE_PHASES


FINAL_PHASES = frozenset(
    {
        ExecutionPhase.COMPLETED,
        ExecutionPhase.ERROR,
        ExecutionPhase.ABORTED,
        ExecutionPhase.ARCHIVED,
    }
)
ACTIVE_PHASES = frozenset(
    {ExecutionPhase.QUEUED, ExecutionPhase.EXECUTING, ExecutionPhase.SUSPENDED}
)

_P = ExecutionPhase
TRANSITIONS: dict[ExecutionPhase, frozenset[ExecutionPhase]] = {
    _P.PENDING: frozenset({_P.QUEUED, _P.HELD, _P.ABORTED, _P.ERROR}),
    _P.HELD: frozenset({_P.QUEUED, _P.ABORTED, _P.ERROR}),
    _P.QUEUED: frozenset({_P.EXECUTING, _P.ABORTED, _P.ERROR}),
    # EXECUTING -> QUEUED: the worker running it was lost and the job is retried.
    _P.EXECUTING: frozenset({_P.COMPLETED, _P.ERROR, _P.ABORTED, _P.SUSPENDED, _P.QUEUED}),
    _P.SUSPENDED: frozenset({_P.EXECUTING, _P.ABORTED, _P.ERROR}),
    _P.UNKNOWN: frozenset({_P.ERROR, _P.ABORTED}),
    _P.COMPLETED: frozenset({_P.ARCHIVED}),
    _P.ERROR: frozenset({_P.ARCHIVED}),
    _P.ABORTED: frozenset({_P.ARCHIVED}),
    _P.ARCHIVED: frozenset(),
}


def sources_of(target: ExecutionPhase) -> frozenset[ExecutionPhase]:
    """Every phase from which ``target`` may be reached."""
    return frozenset(p for p, targets in TRANSITIONS.items() if target in targets)


class IllegalPhaseTransition(UsageError):
    """The job cannot move from its phase to the one asked for."""

    code = "illegal_phase_transition"

    def __init__(self, job_id: str, current: ExecutionPhase, requested: ExecutionPhase) -> None:
        super().__init__(f"job {job_id} is {current.value}; it cannot become {requested.value}")
        self.job_id = job_id
        self.current = current
        self.requested = requested


@dataclass(frozen=True, slots=True)
class Move:
    """A phase change: to ``to`` from any phase in ``sources``. Stores apply it as a
    compare-and-set, so of several processes racing on one job exactly one wins."""

    to: ExecutionPhase
    sources: frozenset[ExecutionPhase]


def move(to: ExecutionPhase, *, only_from: Iterable[ExecutionPhase] | None = None) -> Move:
    """The move to ``to`` from every phase UWS allows it from (or only from ``only_from``)."""
    sources = sources_of(to)
    if only_from is not None:
        sources &= frozenset(only_from)
    if not sources:
        raise ValueError(f"UWS allows no move to {to.value} from {only_from}")
    return Move(to=to, sources=sources)


# The moves the job lifecycle makes; each is checked against the table above when defined.
RUN = move(_P.QUEUED, only_from={_P.PENDING, _P.HELD})
"""The owner asks a pending (or held) job to run."""
TAKE = move(_P.EXECUTING, only_from={_P.QUEUED})
"""A worker takes a queued job."""
ABORT = move(_P.ABORTED)
"""The owner, the execution duration or destruction stops a job that has not ended."""
RETRY = move(_P.QUEUED, only_from={_P.EXECUTING})
"""The worker running the job was lost: it waits for another one."""


def finish(to: ExecutionPhase) -> Move:
    """The worker running a job ends it in ``to`` (COMPLETED, ERROR or ABORTED)."""
    return move(to, only_from={_P.EXECUTING})


# A job whose start another system decides (a batch scheduler) is taken by a worker while it
# is QUEUED and stays so until that system runs it; then it moves as the system reports.
REMOTE_PHASES = frozenset({_P.QUEUED, _P.EXECUTING, _P.SUSPENDED})
"""The phases a remote system moves a taken job between."""
TAKE_QUEUED = Move(to=_P.QUEUED, sources=frozenset({_P.QUEUED}))
"""A worker takes (or, lost, gives back) a queued job that starts remotely: no phase change,
a compare-and-set on its attempts and worker."""


def remote(to: ExecutionPhase) -> Move:
    """The remote system moved a taken job to ``to`` (QUEUED, EXECUTING or SUSPENDED)."""
    if to not in REMOTE_PHASES:
        raise ValueError(f"{to.value} is not a phase a remote system reports")
    return move(to, only_from=REMOTE_PHASES)


def finish_remote(to: ExecutionPhase) -> Move:
    """The worker following a remotely started job ends it in ``to``: from any phase the
    remote system reported (a batch job can fail before it ever ran; COMPLETED only after
    EXECUTING)."""
    return move(to, only_from=REMOTE_PHASES)
