"""DataLink links documents.

``parse_links`` reads a DataLink links document (pure, tested on recorded
answers); ``DataLinkClient`` fetches the links of many IDs of one endpoint in
few requests (DataLink takes the ID parameter repeatedly).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlencode

import httpx

from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.votable import _column_values, check_results, parse_votable
from esap_graphql.domain.datalink import DataLink
from esap_graphql.domain.errors import MalformedResponse

#: Largest DataLink document read.
MAX_LINKS_BYTES = 16 * 1024 * 1024

_REQUIRED = ("ID", "access_url", "semantics")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _size(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        size = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return size if size >= 0 else None


def parse_links(content: bytes, *, url: str) -> tuple[DataLink, ...]:
    """The rows of a DataLink links document; raise ``MalformedResponse`` or ``ArchiveFailure``."""
    votable = parse_votable(content, url=url)
    table, columns, _ = check_results(votable, url=url)
    names = {c.name.lower(): c.name for c in columns}
    missing = [name for name in _REQUIRED if name.lower() not in names]
    if missing:
        raise MalformedResponse(url, f"not a DataLink document: no {', '.join(missing)} column")

    def column(name: str) -> list[object]:
        found = names.get(name.lower())
        return _column_values(table[found]) if found is not None else [None] * len(table)

    values = {
        name: column(name)
        for name in (
            "ID",
            "access_url",
            "semantics",
            "content_type",
            "description",
            "content_length",
            "service_def",
            "local_semantics",
            "error_message",
        )
    }
    links = []
    for i in range(len(table)):
        ident = _text(values["ID"][i])
        if ident is None:
            raise MalformedResponse(url, f"DataLink row {i + 1} has no ID")
        links.append(
            DataLink(
                id=ident,
                url=_text(values["access_url"][i]),
                semantics=_text(values["semantics"][i]),
                content_type=_text(values["content_type"][i]),
                description=_text(values["description"][i]),
                size=_size(values["content_length"][i]),
                service_def=_text(values["service_def"][i]),
                local_semantics=_text(values["local_semantics"][i]),
                error_message=_text(values["error_message"][i]),
            )
        )
    return tuple(links)


class DataLinkClient:
    """Fetches DataLink links documents; every call bounded by ``timeout``."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)

    async def links(
        self, endpoint: str, ids: Sequence[str] | None, *, timeout: float
    ) -> tuple[DataLink, ...]:
        """The links of ``ids`` (one request), or of the URL itself when ``ids`` is None."""
        url = endpoint
        if ids is not None:
            url = endpoint + ("&" if "?" in endpoint else "?") + urlencode([("ID", i) for i in ids])
        async with self._clients.answer(
            endpoint.split("?", 1)[0], "GET", url, timeout=timeout, max_bytes=MAX_LINKS_BYTES
        ) as body:
            return await asyncio.to_thread(parse_links, body, url=endpoint)
