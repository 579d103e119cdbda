"""Sesame (CDS) name resolution: ``{mirror}/-oxp/{databases}?{name}``, XML answers.

Mirrors are tried in order; the next one is asked when a mirror cannot be
reached, times out, fails or answers something that is not Sesame XML. A
mirror's "nothing found" is an answer, and ends the search. The name is
percent-encoded whole, so it can only ever be the query string.

The answer, as documented by CDS (``sesame_4x.xsd``)::

    <Sesame>
      <Target option="SNV">
        <name>M 31</name>
        <Resolver name="S=Simbad (via url)">
          <otype>G</otype>
          <jpos>00:42:44.33 +41:16:07.5</jpos>
          <jradeg>10.68470833</jradeg>
          <jdedeg>41.26875000</jdedeg>
          <oname>M  31</oname>
          ...
        </Resolver>
      </Target>
    </Sesame>

A name no database knows gives a ``Target`` without a ``Resolver`` holding a
position (only ``INFO`` elements saying so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote
from xml.etree import ElementTree

import httpx

from esap_graphql.connectors.http import exchange
from esap_graphql.domain.errors import (
    ArchiveError,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from esap_graphql.domain.names import ResolvedName, checked_position

#: Largest Sesame answer read (one name's answer is a few kilobytes).
MAX_ANSWER_BYTES = 1024 * 1024
_RESOLVER_NAME = re.compile(r"^(?:[A-Za-z~]=)?\s*([^(]*?)\s*(?:\(.*)?$")


def sesame_url(base: str, databases: str, name: str) -> str:
    """The request URL for ``name`` at one mirror."""
    return f"{base.rstrip('/')}/-oxp/{databases}?{quote(name, safe='')}"


def _resolver_label(raw: str) -> str:
    """``S=Simbad (via url)`` -> ``Simbad``."""
    match = _RESOLVER_NAME.match(raw.strip())
    label = match.group(1) if match else ""
    return label or raw.strip() or "Sesame"


def parse_sesame(body: bytes, *, url: str, name: str) -> ResolvedName | None:
    """The first position the answer gives, or None when it says nothing was found."""
    # Sesame XML has no document type; one would only serve entity tricks.
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise MalformedResponse(url, "a Sesame answer holds a document type declaration")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedResponse(url, f"not XML: {exc}") from exc
    if root.tag != "Sesame":
        raise MalformedResponse(url, f"not a Sesame answer (root element {root.tag!r})")
    target = root.find("Target")
    if target is None:
        raise MalformedResponse(url, "a Sesame answer without a Target")
    for resolver in target.iter("Resolver"):
        ra_text, dec_text = resolver.findtext("jradeg"), resolver.findtext("jdedeg")
        if not ra_text or not dec_text:
            continue
        try:
            position = checked_position(float(ra_text), float(dec_text))
        except ValueError:
            position = None
        if position is None:
            raise MalformedResponse(url, f"Sesame gave an impossible position {ra_text} {dec_text}")
        object_name = " ".join((resolver.findtext("oname") or "").split()) or None
        return ResolvedName(
            name=name,
            ra=position[0],
            dec=position[1],
            resolver=_resolver_label(resolver.get("name", "")),
            object_name=object_name,
        )
    return None


class SesameNameSource:
    """Asks the Sesame mirrors, in order, for a name's position."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        mirrors: Sequence[str],
        databases: str = "SNV",
        timeout: float = 5.0,
    ) -> None:
        if not mirrors:
            raise ValueError("at least one Sesame mirror is needed")
        self._http = http
        self._mirrors = tuple(mirrors)
        self._databases = databases
        self._timeout = timeout

    @property
    def mirrors(self) -> tuple[str, ...]:
        """The base URLs, in the order they are tried."""
        return self._mirrors

    async def lookup(self, name: str) -> ResolvedName | None:
        """The position of ``name``, None when Sesame knows it not; raise ``ArchiveError``
        when no mirror gave a usable answer."""
        failures: list[ArchiveError] = []
        for base in self._mirrors:
            url = sesame_url(base, self._databases, name)
            try:
                async with exchange(
                    self._http,
                    "GET",
                    url,
                    service_url=base,
                    timeout=self._timeout,
                    max_bytes=MAX_ANSWER_BYTES,
                ) as answer:
                    return parse_sesame(answer.body, url=answer.url, name=name)
            except ArchiveError as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        if all(isinstance(f, ArchiveTimeout) for f in failures):
            raise ArchiveTimeout(self._mirrors[0], self._timeout)
        reasons = "; ".join(f.message for f in failures)
        raise ArchiveUnreachable(self._mirrors[0], f"no Sesame mirror answered: {reasons}")
