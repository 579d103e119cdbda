"""OAI-PMH harvesting of IVOA publishing registries (ListRecords, metadataPrefix ivo_vor).

``parse_list_records`` turns one ListRecords page into VOResource records and
the resumption token (pure, tested on recorded pages and on DaCHS's own);
``OaiPmhClient`` fetches the pages of one registry, following tokens.
Registry XML is untrusted: it is parsed by expat (no external entities, and
since expat 2.4 no entity expansion bombs) after the size cap of ``fetch``.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from esap_graphql.connectors.http import ServiceClients
from esap_graphql.domain.errors import ArchiveFailure, MalformedResponse
from esap_graphql.domain.registry import RegistryCapability, RegistryResource

OAI = "{http://www.openarchives.org/OAI/2.0/}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
#: Largest ListRecords page read.
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: Most pages one harvest follows (a registry that never stops giving tokens).
MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class HarvestedRecord:
    """One OAI-PMH record: its identifier and datestamp, and the resource (None if deleted)."""

    ivoid: str
    datestamp: datetime | None
    deleted: bool
    resource: RegistryResource | None


@dataclass(frozen=True, slots=True)
class ListRecordsPage:
    """One page of a ListRecords answer."""

    records: tuple[HarvestedRecord, ...]
    resumption_token: str | None
    response_date: datetime | None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = " ".join(element.text.split())
    return text or None


def parse_datestamp(text: str | None) -> datetime | None:
    """An OAI-PMH UTC datestamp (day or second granularity), or None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def format_datestamp(value: datetime) -> str:
    """A datestamp as OAI-PMH's second granularity writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _capabilities(resource: ET.Element) -> tuple[RegistryCapability, ...]:
    found: list[RegistryCapability] = []
    for capability in _children(resource, "capability"):
        standard_id = (capability.get("standardID") or "").strip() or None
        description = _text(_child(capability, "description"))
        interfaces: list[ET.Element | None] = [*_children(capability, "interface")] or [None]
        for interface in interfaces:
            urls = [
                u for u in (_text(a) for a in _children(interface, "accessURL")) if u is not None
            ]
            found.append(
                RegistryCapability(
                    standard_id=standard_id,
                    access_url=urls[0] if urls else None,
                    interface_type=(interface.get(XSI_TYPE) if interface is not None else None),
                    role=interface.get("role") if interface is not None else None,
                    description=description,
                )
            )
    return tuple(found)


def parse_resource(element: ET.Element, *, source: str) -> RegistryResource:
    """A VOResource ``Resource`` element as our record; raise ``ValueError`` without an id."""
    ivoid = _text(_child(element, "identifier"))
    if not ivoid:
        raise ValueError("a Resource without identifier")
    curation = _child(element, "curation")
    content = _child(element, "content")
    coverage = _child(element, "coverage")
    return RegistryResource(
        ivoid=ivoid,
        title=_text(_child(element, "title")) or ivoid,
        description=(_text(_child(content, "description")) if content is not None else None) or "",
        publisher=_text(_child(curation, "publisher")) if curation is not None else None,
        short_name=_text(_child(element, "shortName")),
        resource_type=element.get(XSI_TYPE),
        subjects=tuple(s for s in (_text(e) for e in _children(content, "subject")) if s),
        wavebands=tuple(
            w.lower() for w in (_text(e) for e in _children(coverage, "waveband")) if w
        ),
        capabilities=_capabilities(element),
        updated=parse_datestamp(element.get("updated")),
        source=source,
    )


def parse_list_records(content: bytes, *, url: str, source: str) -> ListRecordsPage:
    """One ListRecords page; raise ``MalformedResponse`` or ``ArchiveFailure`` (OAI errors).

    An OAI ``noRecordsMatch`` error is an empty page, as the protocol means it.
    """
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise MalformedResponse(url, f"not XML: {exc}") from exc
    if root.tag != f"{OAI}OAI-PMH":
        raise MalformedResponse(url, f"not an OAI-PMH answer (root element {_local(root.tag)})")
    response_date = parse_datestamp(_text(root.find(f"{OAI}responseDate")))
    errors = root.findall(f"{OAI}error")
    if errors:
        codes = [e.get("code") or "" for e in errors]
        if codes == ["noRecordsMatch"]:
            return ListRecordsPage(records=(), resumption_token=None, response_date=response_date)
        message = "; ".join(f"{e.get('code')}: {_text(e) or ''}" for e in errors)
        raise ArchiveFailure(url, f"OAI-PMH error {message}")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise MalformedResponse(url, "no ListRecords element")
    records: list[HarvestedRecord] = []
    for record in listing.findall(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        if header is None:
            raise MalformedResponse(url, "a record without header")
        identifier = _text(header.find(f"{OAI}identifier"))
        if not identifier:
            raise MalformedResponse(url, "a record without identifier")
        datestamp = parse_datestamp(_text(header.find(f"{OAI}datestamp")))
        if header.get("status") == "deleted":
            records.append(HarvestedRecord(identifier, datestamp, True, None))
            continue
        metadata = record.find(f"{OAI}metadata")
        element = (
            next((c for c in metadata if _local(c.tag) == "Resource"), None)
            if metadata is not None
            else None
        )
        if element is None:
            raise MalformedResponse(url, f"record {identifier}: no VOResource metadata")
        try:
            resource = parse_resource(element, source=source)
        except ValueError as exc:
            raise MalformedResponse(url, f"record {identifier}: {exc}") from exc
        deleted = element.get("status") == "deleted"
        records.append(HarvestedRecord(resource.ivoid, datestamp, deleted, resource))
    token_element = listing.find(f"{OAI}resumptionToken")
    token = _text(token_element)
    return ListRecordsPage(
        records=tuple(records), resumption_token=token, response_date=response_date
    )


class OaiPmhClient:
    """Harvests publishing registries; every request bounded by ``timeout`` seconds."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients, timeout: float) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)
        self._timeout = timeout

    async def list_records(
        self,
        base_url: str,
        *,
        since: datetime | None = None,
        token: str | None = None,
        set_spec: str | None = "ivo_managed",
    ) -> ListRecordsPage:
        """One ListRecords page: the first (from ``since``, in ``set_spec``) or the next."""
        params = {"verb": "ListRecords"}
        if token is not None:
            params["resumptionToken"] = token
        else:
            params["metadataPrefix"] = "ivo_vor"
            if since is not None:
                params["from"] = format_datestamp(since)
            if set_spec:
                params["set"] = set_spec
        async with self._clients.answer(
            base_url,
            "GET",
            base_url,
            params=params,
            timeout=self._timeout,
            max_bytes=MAX_PAGE_BYTES,
        ) as body:
            return await asyncio.to_thread(parse_list_records, body, url=base_url, source=base_url)

    async def harvest(
        self, base_url: str, *, since: datetime | None = None, set_spec: str | None = "ivo_managed"
    ) -> AsyncIterator[ListRecordsPage]:
        """Every page of a harvest, following resumption tokens."""
        page = await self.list_records(base_url, since=since, set_spec=set_spec)
        yield page
        pages = 1
        while page.resumption_token:
            if pages >= MAX_PAGES:
                raise MalformedResponse(base_url, f"more than {MAX_PAGES} pages of records")
            page = await self.list_records(base_url, token=page.resumption_token)
            pages += 1
            yield page
