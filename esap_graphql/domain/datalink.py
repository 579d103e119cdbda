"""DataLink: the links of a record (dataset, previews, cutouts, related files).

A record offers DataLink in one of two ways: its ObsCore ``access_format``
says its ``access_url`` is a DataLink document, or the answer it came in
declared a DataLink service descriptor (a RESOURCE of utype adhoc:service)
whose ID parameter is filled from one of the answer's columns. Either way the
links come from a DataLink ``links`` endpoint called with ``ID=...``, which
takes several IDs at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

#: The content type of a DataLink document (ObsCore access_format of such rows).
DATALINK_CONTENT_TYPE = "application/x-votable+xml;content=datalink"
#: The standard id of a DataLink links endpoint.
DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.0"


def is_datalink_format(content_type: str | None) -> bool:
    """True when a MIME type names a DataLink document (parameters in any order or case)."""
    if not content_type:
        return False
    main, *params = (p.strip().lower() for p in content_type.split(";"))
    if main != "application/x-votable+xml":
        return False
    return any(p.replace(" ", "").replace('"', "") == "content=datalink" for p in params)


@dataclass(frozen=True, slots=True)
class ServiceDescriptor:
    """A DataLink service declared in a query answer: where, and which column is its ID."""

    access_url: str
    id_column: str


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """What to ask a DataLink endpoint for one record: the endpoint and the ID.

    ``id`` is None when the record's DataLink URL is not of the form
    ``endpoint?ID=...``: then the URL is fetched as it is, alone.
    """

    endpoint: str
    id: str | None


def link_request(
    access_url: str | None,
    access_format: str | None,
    fields: Mapping[str, Any],
    descriptor: ServiceDescriptor | None,
) -> LinkRequest | None:
    """How to fetch a record's links, or None when it offers no DataLink.

    A DataLink ``access_url`` names its own endpoint and ID; split it so that
    records of one endpoint share a request. Otherwise the answer's service
    descriptor gives the endpoint and the column holding the ID.
    """
    if access_url and is_datalink_format(access_format):
        parts = urlsplit(access_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if len(query) == 1 and query[0][0].upper() == "ID" and query[0][1]:
            endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            return LinkRequest(endpoint=endpoint, id=query[0][1])
        return LinkRequest(endpoint=access_url, id=None)
    if descriptor is not None:
        value = fields.get(descriptor.id_column)
        if value is not None and str(value).strip():
            return LinkRequest(endpoint=descriptor.access_url, id=str(value))
    return None


@dataclass(frozen=True, slots=True)
class DataLink:
    """One row of a DataLink document: a link, or the error the service gave for it."""

    id: str
    url: str | None
    semantics: str | None
    content_type: str | None = None
    description: str | None = None
    size: int | None = None
    service_def: str | None = None
    local_semantics: str | None = None
    error_message: str | None = None
