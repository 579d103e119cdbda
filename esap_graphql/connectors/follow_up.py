"""Which URLs an archive's answer may send the gateway to (next pages, redirects).

Such URLs come from the archive, not from the catalogue: an archive that is broken or
hostile could point them anywhere. The decision is the process's egress policy
(``connectors.egress``: the service's own host, or the hosts the catalogue allows for
it); without one, only the configured origin. URLs are parsed by httpx, the parser of
the client that sends them, so the check and the request cannot disagree about the host.

Credentials are stricter than the policy: a dataset's auth header goes to the exact
origin (scheme, host and port) of its ``access_url`` only (``same_origin``).
"""

from __future__ import annotations

import httpx

from esap_graphql.connectors.egress import EgressPolicy
from esap_graphql.domain.errors import MalformedResponse

#: Without a process policy: the service's own origin only.
_SAME_ORIGIN = EgressPolicy()


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port


def same_origin(url: str, configured: str) -> bool:
    """True when ``url`` is on the configured URL's origin and carries no user info."""
    try:
        parsed = httpx.URL(url)
        expected = httpx.URL(configured)
    except httpx.InvalidURL:
        return False
    if parsed.userinfo or parsed.scheme not in ("http", "https"):
        return False
    return _origin(parsed) == _origin(expected)


def follow_up_url(
    candidate: str, *, base: str, configured: str, policy: EgressPolicy | None = None
) -> str:
    """``candidate`` (absolute, or relative to ``base``) if it may be followed.

    Raise ``MalformedResponse`` (for the request at ``base``) when it is not a plain URL,
    carries user info, or the egress policy does not let the service at ``configured``
    send us there.
    """
    # WHATWG parsers read a backslash as a slash, others as a path character:
    # a URL that parsers may disagree on is not followed at all.
    if "\\" in candidate or any(ord(c) < 0x21 or c == "\x7f" for c in candidate):
        raise MalformedResponse(base, "a follow-up URL holds spaces, backslashes or controls")
    try:
        joined = httpx.URL(base).join(candidate)
    except httpx.InvalidURL as exc:
        raise MalformedResponse(base, f"a follow-up URL is not a URL: {exc}") from exc
    url = str(joined)
    if joined.userinfo or not (policy or _SAME_ORIGIN).may_follow(url, configured):
        shown = url if len(url) <= 200 else url[:200] + "..."
        raise MalformedResponse(base, f"a follow-up URL leaves the archive's own host: {shown}")
    return url


def followable(
    candidate: str, *, base: str, configured: str, policy: EgressPolicy | None = None
) -> str | None:
    """``candidate`` as a URL the service at ``configured`` may send us to (see
    ``follow_up_url``), or None."""
    try:
        return follow_up_url(candidate, base=base, configured=configured, policy=policy)
    except MalformedResponse:
        return None
