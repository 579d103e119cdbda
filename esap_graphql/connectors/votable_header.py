"""The column descriptions of recurring answers, parsed once.

An archive answers the same kind of query with the same FIELD section every
time: the same table, the same columns. astropy spends most of its time on a
small answer building those FIELDs (about 2.5 ms for ObsCore's 38 columns),
which is the gateway's main CPU cost when fifty archives answer at once.

So the FIELD section, byte for byte, is the key to the columns parsed from
the first answer that had it. A later answer with the same section is still
parsed and judged by astropy and pyvo, but with its FIELDs replaced by one
stand-in column: its status, INFOs and resources are read as always.
Sections holding an INFO (which could carry a QUERY_STATUS) are never cached.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from esap_graphql.domain.datalink import ServiceDescriptor
from esap_graphql.domain.records import ColumnInfo

#: A column pyvo accepts as a results table's description, standing in for the FIELDs.
_STAND_IN = b'<FIELD name="esap_stand_in" datatype="int"/>'

_TABLE_OPEN = re.compile(rb"<TABLE\b[^>]*>")
_VOTABLE_OPEN = re.compile(rb"<VOTABLE\b[^>]*>")


@dataclass(frozen=True, slots=True)
class TableHeader:
    """One answer's results table: the key of its FIELD section, and the document without it."""

    key: bytes
    stand_in: bytes


def table_header(metadata: bytes) -> TableHeader | None:
    """The header of a document holding exactly one TABLE and no DATA, or None.

    The key is the VOTABLE start tag (its version decides how FIELDs are read)
    and everything inside the TABLE element; the table's own name is left out,
    since some archives name each answer's table afresh.
    """
    root = _VOTABLE_OPEN.search(metadata)
    opening = _TABLE_OPEN.search(metadata)
    if root is None or opening is None or opening.group().endswith(b"/>"):
        return None
    closing = metadata.find(b"</TABLE>", opening.end())
    if closing == -1 or metadata.find(b"<TABLE", opening.end()) != -1:
        return None
    section = metadata[opening.end() : closing]
    if b"<INFO" in section or b"<DATA" in section:
        return None
    return TableHeader(
        key=root.group() + b"\0" + section,
        stand_in=metadata[: opening.end()] + _STAND_IN + metadata[closing:],
    )


@dataclass(frozen=True, slots=True)
class ParsedHeader:
    """What the gateway reads from a FIELD section: astropy's fields and our column infos."""

    fields: tuple[Any, ...]
    columns: tuple[ColumnInfo, ...]


class HeaderCache:
    """A bounded, thread-safe LRU of parsed FIELD sections (answers are read in threads)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[bytes, ParsedHeader] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> ParsedHeader | None:
        """The parsed section, freshly used; None (a miss) when it is not kept."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: bytes, header: ParsedHeader) -> None:
        """Keep a parsed section, dropping the least recently used beyond the size."""
        with self._lock:
            self._entries[key] = header
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every section (and the counts)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


#: Shared by every connector: keyed by content, so archives cannot collide.
HEADERS = HeaderCache(size=256)


# ---- the judgement of an answer's metadata ---------------------------------------------------
#
# With its FIELDs known, what astropy and pyvo judge of an answer (its status, whether it
# overflowed, whether it has a results table; and the DataLink service it declares) depends
# on the rest of the metadata. Most of it repeats byte for byte from one answer to the next,
# except the INFOs that echo the query (DaCHS: "query", "sql_query"). So a successful
# judgement is kept under the document with the value and text of such INFOs left out: only
# INFOs in plain markup (attributes of printable ASCII without <, >, &; text likewise) and
# never the ones pyvo reads (QUERY_STATUS, SCS's "Error"). Any other byte that differs makes
# another key, and that answer is parsed and judged by astropy and pyvo as always.

_PLAIN = rb"[\t\n\r\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x7e]*"
_INFO = re.compile(
    rb"<INFO((?:\s+[A-Za-z_][-\w.]*=\"" + _PLAIN + rb"\")*)\s*(?:/>|>("
    rb"[\t\n\r\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*)</INFO>)"
)
_NAME = re.compile(rb"\sname=\"([^\"]*)\"")
_VALUE = re.compile(rb"\svalue=\"[^\"]*\"")
_READ_BY_PYVO = {b"query_status", b"error"}
#: The table's name in its start tag: DaCHS draws a new one for every answer.
_TABLE_NAME = re.compile(rb"(<TABLE\b[^>]*?\s)name=\"[^\"]*\"")


def _blank_info(match: re.Match[bytes]) -> bytes:
    attributes = match.group(1)
    names = _NAME.findall(attributes)
    if len(names) != 1 or names[0].lower() in _READ_BY_PYVO:
        return match.group()
    return b"<INFO" + _VALUE.sub(b' value=""', attributes) + b"/>"


def judgement_key(header: TableHeader) -> bytes:
    """The key of an answer's judgement: its FIELD section's key and its stand-in document,
    query-echoing INFOs and the table's name blank (neither astropy nor pyvo judge by it)."""
    stand_in = _TABLE_NAME.sub(rb'\1name=""', header.stand_in, count=1)
    return header.key + b"\0" + _INFO.sub(_blank_info, stand_in)


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a successful answer's metadata says beyond its columns."""

    overflow: bool
    descriptor: ServiceDescriptor | None


class JudgementCache:
    """A bounded, thread-safe LRU of successful judgements."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[type, bytes], Judgement] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: type, key: bytes) -> Judgement | None:
        """The kept judgement, or None when it is not kept."""
        with self._lock:
            found = self._entries.get((kind, key))
            if found is not None:
                self._entries.move_to_end((kind, key))
            return found

    def put(self, kind: type, key: bytes, judgement: Judgement) -> None:
        """Keep a successful judgement, dropping the least recently used beyond the size."""
        with self._lock:
            self._entries[(kind, key)] = judgement
            self._entries.move_to_end((kind, key))
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every judgement."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: Shared by every connector, keyed by content and by the results class that judged.
JUDGEMENTS = JudgementCache(size=256)
