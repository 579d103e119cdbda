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


def check_transition(job_id: str, current: ExecutionPhase, requested: ExecutionPhase) -> None:
    """Raise ``IllegalPhaseTransition`` unless UWS allows ``current -> requested``."""
    if requested not in TRANSITIONS[current]:
        raise IllegalPhaseTransition(job_id, current, requested)
