"""An in-memory Rucio (the ``RucioApi`` edge) and dataset builders for the data lake tests."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.data_lake import RucioSettings
from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.query import QueryParams

URL = "https://rucio.test"


def validate(**values: Any) -> QueryParams:
    """Checked query parameters, as the gateway hands them to a connector."""
    return QueryParams(**values).validated()


def lake(*, dataset_id: str = "lake", collection: str | None = None, **settings: Any) -> Dataset:
    """A Rucio dataset at ``URL``; keyword arguments replace ``RucioSettings`` fields."""
    values: dict[str, Any] = {
        "auth_host": URL,
        "account": "esap",
        "username_env": "U",
        "password_env": "P",
        "default_scope": "lofar",
        **settings,
    }
    return Dataset(
        id=dataset_id,
        archive_id="a",
        name="A data lake",
        protocol=Protocol.RUCIO,
        access_url=URL,
        collection=collection,
        rucio=RucioSettings(**values),
    )


def did(scope: str, name: str, did_type: str = "FILE", size: int | None = 10) -> dict[str, Any]:
    """A DID as ``list_dids`` (long form) answers it."""
    return {"scope": scope, "name": name, "did_type": did_type, "bytes": size, "length": None}


def replica(scope: str, name: str, pfns: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """A ``list_replicas`` entry; ``pfns`` maps PFN -> (rse, priority)."""
    return {
        "scope": scope,
        "name": name,
        "bytes": 10,
        "adler32": "0000abcd",
        "md5": "0" * 32,
        "pfns": {
            pfn: {"rse": rse, "priority": priority, "type": "DISK", "domain": "wan"}
            for pfn, (rse, priority) in pfns.items()
        },
        "rses": {},
    }


@dataclass
class InMemoryRucio:
    """A Rucio server in memory: DIDs and replicas; records every call it gets.

    ``block`` makes every call wait until it is set (or the caller's ``stop`` is);
    ``failure`` is raised by every call; ``dids_answer`` replaces the DID listing.
    """

    dids: list[dict[str, Any]] = field(default_factory=list)
    replicas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    scopes: list[str] = field(default_factory=lambda: ["apertif", "lofar"])
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    failure: EsapError | None = None
    dids_answer: list[Any] | None = None
    block: threading.Event | None = None
    built: int = 0
    closed: int = 0

    def _enter(self, call: tuple[Any, ...], stop: threading.Event | None = None) -> None:
        self.calls.append(call)
        if self.block is not None:
            while not self.block.wait(0.01):
                if stop is not None and stop.is_set():
                    return
        if self.failure is not None:
            raise self.failure

    def factory(self, dataset: Dataset, timeout: float) -> FakeApi:
        """The ``RucioApiFactory``: one API object per call, counted."""
        self.built += 1
        return FakeApi(self)


@dataclass
class FakeApi:
    """One client object of ``InMemoryRucio``."""

    server: InMemoryRucio

    def list_scopes(self) -> list[str]:
        self.server._enter(("list_scopes",))
        return list(self.server.scopes)

    def list_dids(
        self, scope: str, pattern: str, did_type: str, *, limit: int, stop: threading.Event
    ) -> list[Any]:
        self.server._enter(("list_dids", scope, pattern, did_type, limit), stop)
        if self.server.dids_answer is not None:
            return self.server.dids_answer
        wanted = {"all": None, "file": {"FILE"}, "dataset": {"DATASET"}}.get(did_type)
        found = [
            d
            for d in self.server.dids
            if d["scope"] == scope
            and fnmatch.fnmatchcase(d["name"], pattern)
            and (wanted is None or d["did_type"] in wanted)
        ]
        return found[:limit]

    def list_replicas(
        self, dids: Sequence[tuple[str, str]], *, schemes: Sequence[str], stop: threading.Event
    ) -> list[Any]:
        self.server._enter(("list_replicas", tuple(dids), tuple(schemes)), stop)
        return [self.server.replicas[key] for key in dids if key in self.server.replicas]

    def close(self) -> None:
        self.server.closed += 1
