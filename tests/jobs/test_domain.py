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
    TRANSITIONS,
    ExecutionPhase,
    IllegalPhaseTransition,
    check_transition,
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
def test_legal_transitions_pass(current: ExecutionPhase, requested: ExecutionPhase) -> None:
    check_transition("j", current, requested)


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
def test_illegal_transitions_are_typed_errors(
    current: ExecutionPhase, requested: ExecutionPhase
) -> None:
    with pytest.raises(IllegalPhaseTransition) as caught:
        check_transition("j1", current, requested)
    assert caught.value.current is current
    assert caught.value.requested is requested
    assert current.value in caught.value.message
    assert requested.value in caught.value.message


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
