"""Errors a user or an archive can cause, as values the schema can show.

Hierarchy::

    EsapError                    code, message, detail
     +-- UsageError              the request itself is wrong
     |    +-- InvalidParameter   a query parameter is out of range or unsafe
     |    +-- UnknownDataset     no dataset has this id
     |    +-- UnsupportedParameter  the dataset's protocol cannot filter on it
     +-- ArchiveError            the archive did not give a usable answer
          +-- ArchiveUnreachable connection refused, DNS failure, TLS error
          +-- ArchiveTimeout     no complete answer within the timeout
          +-- ArchiveFailure     the archive answered with an error status
          +-- MalformedResponse  the answer is not a VOTable we can read
"""

from __future__ import annotations


class EsapError(Exception):
    """Base of every expected error: a machine code, a message, a detail."""

    code: str = "esap_error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class UsageError(EsapError):
    """The request is wrong; retrying it unchanged will fail again."""

    code = "usage_error"


class InvalidParameter(UsageError):
    """A query parameter is missing, out of range or unsafe."""

    code = "invalid_parameter"

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


class UnsupportedParameter(UsageError):
    """The dataset's protocol cannot filter on this parameter."""

    code = "unsupported_parameter"

    def __init__(self, parameter: str, dataset_id: str, protocol: str) -> None:
        super().__init__(
            f"{parameter}: dataset {dataset_id!r} ({protocol}) cannot filter on this parameter"
        )
        self.parameter = parameter


class UnknownDataset(UsageError):
    """No configured dataset has this id."""

    code = "unknown_dataset"

    def __init__(self, dataset_id: str) -> None:
        super().__init__(f"no dataset with id {dataset_id!r}")
        self.dataset_id = dataset_id


class ArchiveError(EsapError):
    """The archive did not give a usable answer; another try may work."""

    code = "archive_error"

    def __init__(self, message: str, *, url: str, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.url = url


class ArchiveUnreachable(ArchiveError):
    """The archive could not be reached at all."""

    code = "archive_unreachable"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"archive unreachable at {url}: {reason}", url=url, detail=reason)


class ArchiveTimeout(ArchiveError):
    """The archive did not answer in time."""

    code = "archive_timeout"

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(f"archive at {url} did not answer within {seconds:g} s", url=url)
        self.seconds = seconds


class ArchiveFailure(ArchiveError):
    """The archive answered with an HTTP or VO error status."""

    code = "archive_failure"

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        prefix = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"archive at {url} reported an error: {prefix}{reason}", url=url)
        self.status = status
        self.reason = reason


class MalformedResponse(ArchiveError):
    """The archive's answer could not be read as the protocol requires."""

    code = "malformed_response"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"archive at {url} sent an unreadable answer: {reason}", url=url)
        self.reason = reason
