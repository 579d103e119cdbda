"""RegTAP: searching the VO registry through pyvo's registry module.

pyvo builds the RegTAP ADQL (it adapts it to the service's features, read
from its VOSI capabilities) and reads the answer; pyvo is synchronous, so
every call runs in a thread, bounded both by the requests session's timeout
and by ``asyncio.timeout``. The publishers, which pyvo's record does not
carry, come from one more query over ``rr.res_role`` for all the ivoids found.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import requests
from pyvo.dal import DALFormatError, DALQueryError, DALServiceError, TAPService
from pyvo.registry import regtap, rtcons

from esap_graphql.connectors.adql import string_literal
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from esap_graphql.domain.registry import (
    MESSENGERS,
    RegistryCapability,
    RegistryQuery,
    RegistryResource,
    ServiceType,
)

#: The Euro-VO registry's RegTAP endpoint (GAVO), the default.
DEFAULT_REGTAP_URL = "https://reg.g-vo.org/tap"

# our service types as pyvo's Servicetype constraint names them
_PYVO_SERVICE_TYPES = {
    ServiceType.TAP: "tap",
    ServiceType.SCS: "scs",
    ServiceType.SIA: "sia",
    ServiceType.SIA2: "sia2",
    ServiceType.SSA: "ssa",
}


class _Waveband(rtcons.Waveband):  # type: ignore[misc]
    """pyvo's waveband constraint over our copy of the messenger vocabulary.

    pyvo downloads the vocabulary on first use; the gateway validates the
    term itself (``domain.registry.registry_query``) and never downloads it.
    """

    _legal_terms = frozenset(MESSENGERS)


class _TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout (pyvo sets none)."""

    def __init__(self, timeout: float, user_agent: str) -> None:
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _split(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, bytes):
        values = values.decode("utf-8", "replace")
    if isinstance(values, str):
        return [v for v in values.split("#") if v]
    return [str(v) for v in values if v]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = " ".join(str(value).split())
    return text or None


def _date(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def to_resource(record: Any, *, publisher: str | None, source: str) -> RegistryResource:
    """A pyvo ``RegistryResource`` as ours."""
    capabilities = tuple(
        RegistryCapability(
            standard_id=_text(i.standard_id),
            access_url=_text(i.access_url),
            interface_type=_text(i.type),
            role=_text(i.role),
            description=_text(i.capability_description),
        )
        for i in record.interfaces
        if _text(i.access_url) or _text(i.standard_id)
    )
    return RegistryResource(
        ivoid=str(record.ivoid).strip(),
        title=_text(record.res_title) or str(record.ivoid),
        description=_text(record.res_description) or "",
        publisher=publisher,
        short_name=_text(record.short_name),
        resource_type=_text(record.res_type),
        wavebands=tuple(_split(record["waveband"])),
        capabilities=capabilities,
        updated=_date(record["updated"]),
        source=source,
    )


class RegTapClient:
    """Searches one RegTAP service (``url``); each call bounded by ``timeout`` seconds."""

    def __init__(self, *, url: str, timeout: float, user_agent: str = "esap-graphql") -> None:
        self.url = url
        self._timeout = timeout
        self._session = _TimeoutSession(timeout, user_agent)
        self._service = TAPService(url, session=self._session)
        # pyvo caches the service's capabilities on first use; one thread fills them
        self._lock = threading.Lock()

    def constraints(self, query: RegistryQuery) -> list[Any]:
        """pyvo's constraints for a search."""
        constraints: list[Any] = []
        if query.keywords:
            constraints.append(rtcons.Freetext(*query.keywords))
        if query.service_type is not None:
            constraints.append(rtcons.Servicetype(_PYVO_SERVICE_TYPES[query.service_type]))
        if query.waveband is not None:
            constraints.append(_Waveband(query.waveband))
        return constraints

    def adql(self, query: RegistryQuery) -> str:
        """The RegTAP ADQL for a search (blocking: it may read the service's capabilities)."""
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(regtap.get_RegTAP_query(*self.constraints(query), service=self._service))

    def _run(self, adql: str, limit: int) -> Any:
        return regtap.RegistryQuery(
            self._service.baseurl, adql, maxrec=limit, session=self._session
        ).execute()

    def _publishers(self, ivoids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(ivoids))
        if not ids:
            return {}
        literals = ", ".join(string_literal(i.lower(), parameter="ivoid") for i in ids)
        result = self._service.run_sync(
            "SELECT ivoid, role_name FROM rr.res_role"
            f" WHERE base_role = 'publisher' AND ivoid IN ({literals})",
            maxrec=len(ids) * 4,
        )
        found: dict[str, str] = {}
        for row in result:
            name = _text(row["role_name"])
            if name:
                found.setdefault(str(row["ivoid"]).lower(), name)
        return found

    def _search(self, query: RegistryQuery) -> tuple[RegistryResource, ...]:
        adql = self.adql(query)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = list(self._run(adql, query.limit))
            publishers = self._publishers(str(r.ivoid) for r in records)
        return tuple(
            to_resource(r, publisher=publishers.get(str(r.ivoid).lower()), source="regtap")
            for r in records
        )

    def _lookup(self, ivoid: str) -> RegistryResource | None:
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adql = str(regtap.get_RegTAP_query(rtcons.Ivoid(ivoid.lower()), service=self._service))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = list(self._run(adql, 10))
            publishers = self._publishers(str(r.ivoid) for r in records)
        for record in records:
            if str(record.ivoid).lower() == ivoid.lower():
                return to_resource(record, publisher=publishers.get(ivoid.lower()), source="regtap")
        return None

    async def _call(self, func: Any, *args: Any) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.to_thread(func, *args)
        except TimeoutError as exc:
            raise ArchiveTimeout(self.url, self._timeout) from exc
        except DALQueryError as exc:
            raise ArchiveFailure(self.url, str(exc.reason or exc)) from exc
        except DALFormatError as exc:
            raise MalformedResponse(self.url, str(exc.reason or exc)) from exc
        except DALServiceError as exc:
            cause = exc.cause
            if isinstance(cause, requests.Timeout):
                raise ArchiveTimeout(self.url, self._timeout) from exc
            if isinstance(cause, requests.ConnectionError) or exc.code is None:
                raise ArchiveUnreachable(self.url, str(exc.reason or exc)) from exc
            raise ArchiveFailure(self.url, str(exc.reason or exc), status=exc.code) from exc
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
            # a VOTable that lacks RegTAP's columns, or holds values of another shape
            raise MalformedResponse(self.url, f"not a RegTAP answer: {exc!r}") from exc

    async def search(self, query: RegistryQuery) -> tuple[RegistryResource, ...]:
        """The resources matching a search, at most ``query.limit``."""
        result: tuple[RegistryResource, ...] = await self._call(self._search, query)
        return result

    async def lookup(self, ivoid: str) -> RegistryResource | None:
        """The resource with this identifier, or None."""
        result: RegistryResource | None = await self._call(self._lookup, ivoid)
        return result

    def close(self) -> None:
        """Release the session's connections."""
        self._session.close()
