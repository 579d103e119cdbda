"""UWS phases, transitions and the one classification of job failures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from esap_graphql.domain.errors import ArchiveTimeout, InvalidParameter
from esap_graphql.domain.jobs import (
    ErrorType,
    ExecutionDurationExceeded,
    JobFatalError,
    JobTransientError,
    JobUsageError,
    PhaseEvent,
    WorkerLost,
    classify,
)
from esap_graphql.domain.uws import (
    ABORT,
    RETRY,
    RUN,
    TAKE,
    TRANSITIONS,
    ExecutionPhase,
    IllegalPhaseTransition,
    Move,
    finish,
    move,
    sources_of,
)

P = ExecutionPhase


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (P.PENDING, P.QUEUED),
        (P.QUEUED, P.EXECUTING),
        (P.EXECUTING, P.COMPLETED),
        (P.EXECUTING, P.ERROR),
        (P.EXECUTING, P.ABORTED),
        (P.EXECUTING, P.QUEUED),
        (P.PENDING, P.ABORTED),
        (P.COMPLETED, P.ARCHIVED),
    ],
)
def test_legal_transitions_are_moves(current: ExecutionPhase, requested: ExecutionPhase) -> None:
    assert current in move(requested).sources


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        (P.PENDING, P.EXECUTING),
        (P.PENDING, P.COMPLETED),
        (P.COMPLETED, P.EXECUTING),
        (P.ABORTED, P.QUEUED),
        (P.ERROR, P.COMPLETED),
        (P.COMPLETED, P.ABORTED),
        (P.ARCHIVED, P.PENDING),
    ],
)
def test_illegal_transitions_are_no_moves(
    current: ExecutionPhase, requested: ExecutionPhase
) -> None:
    assert current not in sources_of(requested)
    with pytest.raises(ValueError, match=requested.value):
        move(requested, only_from={current})


def test_the_lifecycle_moves_follow_the_table() -> None:
    assert Move(P.QUEUED, frozenset({P.PENDING, P.HELD})) == RUN
    assert Move(P.EXECUTING, frozenset({P.QUEUED})) == TAKE
    assert Move(P.QUEUED, frozenset({P.EXECUTING})) == RETRY
    assert ABORT.sources == sources_of(P.ABORTED)
    assert not ABORT.sources & {P.COMPLETED, P.ERROR, P.ABORTED, P.ARCHIVED}
    assert finish(P.COMPLETED) == Move(P.COMPLETED, frozenset({P.EXECUTING}))


def test_a_refused_move_names_both_phases() -> None:
    refused = IllegalPhaseTransition("j1", P.COMPLETED, P.QUEUED)
    assert "COMPLETED" in refused.message
    assert "QUEUED" in refused.message


def test_final_phases_only_lead_to_archived() -> None:
    for phase in (P.COMPLETED, P.ERROR, P.ABORTED):
        assert phase.is_final
        assert TRANSITIONS[phase] == {P.ARCHIVED}


def test_sources_of_inverts_the_table() -> None:
    assert sources_of(P.EXECUTING) == {P.QUEUED, P.SUSPENDED}
    assert P.COMPLETED not in sources_of(P.ABORTED)


@pytest.mark.parametrize(
    ("exc", "error_type", "code"),
    [
        (JobUsageError("bad ADQL"), ErrorType.FATAL, "usage_error"),
        (InvalidParameter("ra", "out of range"), ErrorType.FATAL, "invalid_parameter"),
        (JobTransientError("archive down"), ErrorType.TRANSIENT, "transient_error"),
        (ArchiveTimeout("http://a", 3), ErrorType.TRANSIENT, "archive_timeout"),
        (TimeoutError(), ErrorType.TRANSIENT, "timeout"),
        (JobFatalError("broken"), ErrorType.FATAL, "fatal_error"),
        (ExecutionDurationExceeded(5), ErrorType.FATAL, "execution_duration_exceeded"),
        (WorkerLost("w1", 2), ErrorType.TRANSIENT, "worker_lost"),
        (KeyError("x"), ErrorType.FATAL, "internal_error"),
    ],
)
def test_failures_are_classified_once(exc: BaseException, error_type: ErrorType, code: str) -> None:
    error = classify(exc)
    assert (error.type, error.code) == (error_type, code)
    assert error.message


def test_internal_errors_do_not_leak_their_text_into_the_message() -> None:
    error = classify(KeyError("secret-internal-name"))
    assert "secret-internal-name" not in error.message
    assert error.detail is not None
    assert "secret-internal-name" in error.detail


def test_phase_event_round_trips_through_json() -> None:
    event = PhaseEvent(
        job_id="j", owner="u", phase=P.EXECUTING, at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    assert PhaseEvent.from_json(event.to_json()) == event
