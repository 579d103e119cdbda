"""How a REST/JSON archive is asked and how its answers are read: pure configuration data.

A dataset with ``protocol: http`` carries one ``HttpApi``: which of the
archive's query parameters each of our parameters becomes (name, value
template, unit, escaping, value table), the parameters always sent, where the
records, the total count and the next page are in a JSON answer (JMESPath
expressions, kept here as text), which answer fields fill the record fields,
how the archive pages and which environment variable holds its credentials.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Our parameter names (GraphQL input names), in the order they are sent.
PARAMETER_NAMES: tuple[str, ...] = (
    "target",
    "ra",
    "dec",
    "radius",
    "collection",
    "calibrationLevel",
    "dataproductType",
)
#: Our parameters that are angles (ICRS degrees), the ones a unit applies to.
ANGLE_PARAMETERS: frozenset[str] = frozenset({"ra", "dec", "radius"})

#: How many of each unit one degree is.
ANGLE_UNITS: Mapping[str, float] = {
    "deg": 1.0,
    "arcmin": 60.0,
    "arcsec": 3600.0,
    "mas": 3_600_000.0,
    "rad": math.pi / 180.0,
}

#: The placeholder a value template must hold.
VALUE = "{value}"
#: The placeholder an auth header template must hold.
TOKEN = "{token}"

# Characters with a meaning in Lucene / Elasticsearch query strings (Zenodo's
# ``q``); escaped with a backslash they are searched as themselves.
_LUCENE_SPECIAL = frozenset('+-=&|><!(){}[]^"~*?:\\/')


class Escape(enum.Enum):
    """How a text value is escaped before it is put into its template."""

    NONE = "none"
    LUCENE = "lucene"


class PagingStyle(enum.Enum):
    """How the archive hands out a result longer than one answer."""

    NONE = "none"  # one request; the answer is the whole result
    PAGE = "page"  # page number and page size parameters
    OFFSET = "offset"  # offset (records to skip) and page size parameters
    CURSOR = "cursor"  # the answer holds an opaque cursor, sent back for the next page
    LINK = "link"  # the answer (or its Link header) holds the next page's URL


@dataclass(frozen=True, slots=True)
class ParameterMapping:
    """How one of our parameters becomes one of the archive's query parameters."""

    name: str
    template: str = VALUE
    unit: str = "deg"
    escape: Escape = Escape.NONE
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Paging:
    """The paging style and its parameter names."""

    style: PagingStyle = PagingStyle.NONE
    page_size: int = 100
    size_parameter: str | None = None
    page_parameter: str = "page"
    first_page: int = 1
    offset_parameter: str = "offset"
    cursor_parameter: str = "cursor"
    first_cursor: str | None = None
    max_pages: int = 50


@dataclass(frozen=True, slots=True)
class AnswerPaths:
    """JMESPath expressions locating the parts of an answer."""

    records: str
    total: str | None = None
    next: str | None = None


@dataclass(frozen=True, slots=True)
class AuthHeader:
    """A request header whose value comes from an environment variable (never the config)."""

    header: str
    env: str
    template: str = TOKEN
    optional: bool = False


@dataclass(frozen=True, slots=True)
class HttpApi:
    """Everything needed to query one REST/JSON archive endpoint and read its answers."""

    answer: AnswerPaths
    parameters: Mapping[str, ParameterMapping] = field(default_factory=dict)
    fixed: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    paging: Paging = field(default_factory=Paging)
    record: Mapping[str, str] = field(default_factory=dict)
    auth: AuthHeader | None = None
    max_response_bytes: int = 16 * 1024 * 1024


def lucene_escape(text: str) -> str:
    """``text`` with every Lucene query-syntax character backslash-escaped."""
    return "".join("\\" + c if c in _LUCENE_SPECIAL else c for c in text)


def render_value(mapping: ParameterMapping, value: str) -> str:
    """The archive's value for one of ours, already in text form (a unit is applied before).

    A value table entry is the configuration's own text and is not escaped;
    the caller has checked that the table holds ``value``.
    """
    if mapping.values:
        value = mapping.values[value]
    elif mapping.escape is Escape.LUCENE:
        value = lucene_escape(value)
    # plain replacement, not str.format: a value never reaches a format parser
    return mapping.template.replace(VALUE, value)


def degrees_to(unit: str, degrees: float) -> float:
    """An angle in degrees expressed in ``unit`` (one of ``ANGLE_UNITS``)."""
    return degrees * ANGLE_UNITS[unit]
