"""Every expected error a service can raise has its schema type, found through one registry."""

from __future__ import annotations

import pytest

from esap_graphql.domain import basket, errors, jobs, names, uws
from esap_graphql.domain.errors import EsapError
from esap_graphql.schema import build_schema
from esap_graphql.schema.errors import from_domain, registered


def _subclasses(base: type[EsapError]) -> set[type[EsapError]]:
    found: set[type[EsapError]] = set()
    for sub in base.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def shown_errors() -> list[type[EsapError]]:
    """Domain errors that reach GraphQL: usage and archive errors (job failures become UWS
    error summaries, sign-in failures HTTP statuses)."""
    build_schema()  # every feature's errors are registered once its schema module is imported
    modules = {m.__name__ for m in (errors, basket, jobs, names, uws)}
    return sorted(
        (
            c
            for c in _subclasses(errors.UsageError) | _subclasses(errors.ArchiveError)
            if c.__module__ in modules
        ),
        key=lambda c: c.__name__,
    )


def test_every_usage_and_archive_error_has_its_own_schema_type() -> None:
    missing = [c.__name__ for c in shown_errors() if c not in registered()]
    assert missing == []


@pytest.mark.parametrize(
    ("error", "typename", "extra"),
    [
        (errors.InvalidParameter("ra", "too big"), "InvalidParameter", {"parameter": "ra"}),
        (
            errors.ArchiveFailure("http://a", "down", status=503),
            "ArchiveFailure",
            {"http_status": 503},
        ),
        (errors.ArchiveError("lost", url="http://a"), "ArchiveFailure", {"http_status": None}),
        (basket.TooManyItems(9, 5), "TooManyItems", {"given": 9, "limit": 5}),
        (jobs.UnknownJobType("x", ("a", "b")), "UnknownJobType", {"known": ["a", "b"]}),
        (
            uws.IllegalPhaseTransition(
                "j", uws.ExecutionPhase.COMPLETED, uws.ExecutionPhase.QUEUED
            ),
            "IllegalPhaseTransition",
            {"job_id": "j"},
        ),
    ],
)
def test_the_most_specific_registration_builds_the_error(
    error: EsapError, typename: str, extra: dict[str, object]
) -> None:
    shown = from_domain(error)
    assert type(shown).__name__ == typename
    assert shown.code == error.code
    assert shown.message == error.message
    for name, value in extra.items():
        assert getattr(shown, name) == value


def test_an_unregistered_error_is_a_programming_error() -> None:
    class Stray(EsapError):
        pass

    with pytest.raises(TypeError, match="Stray"):
        from_domain(Stray("?"))
