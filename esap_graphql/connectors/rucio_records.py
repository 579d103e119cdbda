"""Rucio answers (data identifiers and their replicas) as records: pure code.

``list_dids`` (long form) gives each DID's scope, name, type and size;
``list_replicas`` gives each file's checksums and its replicas' PFNs, keyed by
PFN with the storage element (RSE) and a read priority. A record is one DID:
id ``scope:name``, title the name, collection the scope, the first replica's
PFN as access URL, every replica in ``fields``. An answer of the wrong shape
is ``MalformedResponse`` naming the path that failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esap_graphql.domain.errors import MalformedResponse
from esap_graphql.domain.records import ColumnInfo, Record

DID_TYPES = frozenset({"FILE", "DATASET", "CONTAINER"})

#: The native columns of a Rucio record, in ``fields`` and in ``table``.
COLUMNS: tuple[ColumnInfo, ...] = (
    ColumnInfo("scope", description="Rucio scope (namespace of the data identifier)."),
    ColumnInfo("name", description="Data identifier name, unique within its scope."),
    ColumnInfo("did_type", description="FILE, DATASET or CONTAINER."),
    ColumnInfo("bytes", description="Size.", unit="byte", datatype="long"),
    ColumnInfo("length", description="Files in a dataset or container.", datatype="long"),
    ColumnInfo("adler32", description="Adler-32 checksum of a file (8 hex digits)."),
    ColumnInfo("md5", description="MD5 checksum of a file (32 hex digits)."),
    ColumnInfo("replicas", description="Every replica: rse, pfn, scheme, priority (JSON list)."),
)


def _text(value: Any, path: str, *, url: str) -> str:
    if not isinstance(value, str):
        raise MalformedResponse(url, f"{path}: expected a string, got {type(value).__name__}")
    return value


def _optional_text(value: Any, path: str, *, url: str) -> str | None:
    return None if value is None else _text(value, path, url=url)


def _count(value: Any, path: str, *, url: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedResponse(url, f"{path}: expected a size in bytes, got {value!r:.40}")
    return value


def did_key(did: Mapping[str, Any]) -> tuple[str, str]:
    """(scope, name) of an already checked DID."""
    return did["scope"], did["name"]


def check_dids(dids: Sequence[Any], *, url: str) -> list[dict[str, Any]]:
    """The DIDs of a ``list_dids`` answer as plain dicts; raise ``MalformedResponse``."""
    checked: list[dict[str, Any]] = []
    for index, did in enumerate(dids):
        path = f"dids[{index}]"
        if not isinstance(did, Mapping):
            raise MalformedResponse(url, f"{path}: expected an object")
        did_type = _text(did.get("did_type"), f"{path}.did_type", url=url)
        if did_type not in DID_TYPES:
            raise MalformedResponse(url, f"{path}.did_type: unknown type {did_type!r:.40}")
        checked.append(
            {
                "scope": _text(did.get("scope"), f"{path}.scope", url=url),
                "name": _text(did.get("name"), f"{path}.name", url=url),
                "did_type": did_type,
                "bytes": _count(did.get("bytes"), f"{path}.bytes", url=url),
                "length": _count(did.get("length"), f"{path}.length", url=url),
            }
        )
    return checked


def _scheme(pfn: str) -> str:
    return pfn.split("://", 1)[0] if "://" in pfn else ""


def replicas_of(
    answer: Mapping[str, Any], path: str, *, url: str, schemes: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The replicas of one ``list_replicas`` entry, best first.

    Best is the first of ``schemes`` (the dataset's preference), then Rucio's
    own ranking (``priority``: 1 is the server's first choice), then the answer's order.
    """
    pfns = answer.get("pfns")
    if pfns is None:
        return []
    if not isinstance(pfns, Mapping):
        raise MalformedResponse(url, f"{path}.pfns: expected an object keyed by PFN")
    replicas = []
    for order, (pfn, about) in enumerate(pfns.items()):
        where = f"{path}.pfns[{pfn!r:.60}]"
        _text(pfn, where, url=url)
        if not isinstance(about, Mapping):
            raise MalformedResponse(url, f"{where}: expected an object")
        priority = about.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise MalformedResponse(url, f"{where}.priority: expected an integer")
        scheme = _scheme(pfn)
        rank = schemes.index(scheme) if scheme in schemes else len(schemes)
        replica = {
            "rse": _optional_text(about.get("rse"), f"{where}.rse", url=url),
            "pfn": pfn,
            "scheme": scheme,
            "priority": priority,
        }
        replicas.append(((rank, priority if priority is not None else 1 << 30, order), replica))
    return [replica for _, replica in sorted(replicas, key=lambda item: item[0])]


def replica_index(
    answers: Sequence[Any], *, url: str, schemes: Sequence[str] = ()
) -> dict[tuple[str, str], dict[str, Any]]:
    """``list_replicas`` entries by (scope, name): checksums, size and sorted replicas."""
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for position, answer in enumerate(answers):
        path = f"replicas[{position}]"
        if not isinstance(answer, Mapping):
            raise MalformedResponse(url, f"{path}: expected an object")
        scope = _text(answer.get("scope"), f"{path}.scope", url=url)
        name = _text(answer.get("name"), f"{path}.name", url=url)
        index[(scope, name)] = {
            "bytes": _count(answer.get("bytes"), f"{path}.bytes", url=url),
            "adler32": _optional_text(answer.get("adler32"), f"{path}.adler32", url=url),
            "md5": _optional_text(answer.get("md5"), f"{path}.md5", url=url),
            "replicas": replicas_of(answer, path, url=url, schemes=schemes),
        }
    return index


def to_record(did: Mapping[str, Any], files: Mapping[str, Any] | None) -> Record:
    """One record from a checked DID and, for a file, its ``replica_index`` entry."""
    scope, name = did_key(did)
    found = files or {}
    replicas: list[dict[str, Any]] = found.get("replicas", [])
    size = did["bytes"] if did["bytes"] is not None else found.get("bytes")
    fields = {
        "scope": scope,
        "name": name,
        "did_type": did["did_type"],
        "bytes": size,
        "length": did["length"],
        "adler32": found.get("adler32"),
        "md5": found.get("md5"),
        "replicas": replicas,
    }
    return Record(
        id=f"{scope}:{name}",
        title=name,
        collection=scope,
        size_bytes=size,
        access_url=replicas[0]["pfn"] if replicas else None,
        fields=fields,
    )
