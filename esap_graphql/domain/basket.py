"""The basket: named collections of typed references to result records, one set per user.

Pure data and rules that need no I/O: names, limits, and the basket's own errors.

Errors (all ``UsageError``: retrying unchanged fails again)::

    InvalidBasketName   the name is empty, too long or has characters outside [A-Za-z0-9_.-]
    TooManyItems        more items (or ids) in one call than the configured limit
    RecordTooLarge      an item's native record is larger, as JSON, than the configured limit
    BasketFull          the basket would hold more items than the configured limit
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from esap_graphql.domain.errors import InvalidParameter, UsageError

#: The basket used when a call names none.
DEFAULT_BASKET = "default"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class BasketLimits:
    """Guards on what one call may send and what one basket may hold."""

    max_items_per_call: int = 500
    max_record_bytes: int = 65_536
    max_items_per_basket: int = 100_000


@dataclass(frozen=True, slots=True)
class NewBasketItem:
    """A record to put in a basket, as the client describes it."""

    dataset_id: str
    record_id: str
    title: str | None = None
    access_url: str | None = None
    access_format: str | None = None
    #: As given (a client sends a JSON number); a whole number once ``checked`` passed it.
    size_bytes: int | float | None = None
    ra: float | None = None
    dec: float | None = None
    #: The native record; the service accepts JSON objects only.
    record: Any = field(default_factory=dict)
    archive_id: str = ""
    #: The record as stored: compact JSON, set (and measured) by the service.
    record_json: str = "{}"

    @property
    def key(self) -> tuple[str, str]:
        """What makes two items the same: one item per dataset and record id."""
        return (self.dataset_id, self.record_id)


# Not frozen, like Record: a frozen dataclass sets each field through
# object.__setattr__, which made building 10,000 items cost 30 ms instead of 4.
@dataclass(slots=True)
class BasketItem:
    """A stored reference to one result record (treated as immutable)."""

    id: str
    basket: str
    archive_id: str
    dataset_id: str
    record_id: str
    title: str | None
    access_url: str | None
    access_format: str | None
    size_bytes: int | None
    ra: float | None
    dec: float | None
    record: dict[str, Any]
    added_at: datetime
    #: False once the dataset has left the configuration (the service marks it on reading).
    dataset_available: bool = True


@dataclass(frozen=True, slots=True)
class BasketSummary:
    """A basket without its items: name, size, and when it last changed."""

    name: str
    count: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Basket:
    """A basket with its items, oldest first."""

    name: str
    items: tuple[BasketItem, ...] = ()
    created_at: datetime | None = None

    @property
    def count(self) -> int:
        """Number of items."""
        return len(self.items)


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What an add did: the items for the records given (new or already there)."""

    basket: str
    items: tuple[BasketItem, ...]
    added: int


#: Longest value of each text field of an item, in characters.
TEXT_LIMITS: dict[str, int] = {
    "dataset": 64,
    "recordId": 1024,
    "title": 1024,
    "accessUrl": 8192,
    "accessFormat": 256,
}
#: Largest size an item may claim, in bytes (it is stored as a signed 64-bit integer).
MAX_SIZE_BYTES = 2**63 - 1


def checked_item(index: int, item: NewBasketItem) -> NewBasketItem:
    """The item with its size as a whole number, once every field is within bounds; raise
    ``InvalidParameter`` naming the field (``items[index].title``...)."""
    texts = {
        "dataset": item.dataset_id,
        "recordId": item.record_id,
        "title": item.title,
        "accessUrl": item.access_url,
        "accessFormat": item.access_format,
    }
    for name, text in texts.items():
        if text is not None and len(text) > TEXT_LIMITS[name]:
            raise InvalidParameter(
                f"items[{index}].{name}", f"longer than {TEXT_LIMITS[name]} characters"
            )
    if not item.record_id.strip():
        raise InvalidParameter(f"items[{index}].recordId", "must not be empty")
    for axis, value, low, high in (("ra", item.ra, 0, 360), ("dec", item.dec, -90, 90)):
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise InvalidParameter(f"items[{index}].{axis}", f"must be in [{low}, {high}]")
    size = item.size_bytes
    if size is None:
        return item
    if not (math.isfinite(size) and 0 <= size <= MAX_SIZE_BYTES and size == int(size)):
        raise InvalidParameter(
            f"items[{index}].sizeBytes", f"must be a whole number of bytes, 0 to {MAX_SIZE_BYTES}"
        )
    return replace(item, size_bytes=int(size))


def check_basket_name(name: str | None) -> str:
    """The basket name in force (the default for None); raise ``InvalidBasketName``."""
    if name is None:
        return DEFAULT_BASKET
    if not _NAME.match(name):
        raise InvalidBasketName(name)
    return name


class InvalidBasketName(UsageError):
    """A basket name is empty, too long or uses characters outside [A-Za-z0-9_.-]."""

    code = "invalid_basket_name"

    def __init__(self, name: str) -> None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        super().__init__(
            f"basket name {shown!r} is not valid: use 1 to 64 characters from "
            "A-Z a-z 0-9 _ . - starting with a letter or digit"
        )
        self.name = name


class TooManyItems(UsageError):
    """One call carries more items or ids than allowed."""

    code = "too_many_items"

    def __init__(self, given: int, limit: int) -> None:
        super().__init__(f"{given} items in one call; at most {limit} are allowed")
        self.given = given
        self.limit = limit


class RecordTooLarge(UsageError):
    """An item's native record is too large once written as JSON."""

    code = "record_too_large"

    def __init__(self, record_id: str, size: int, limit: int) -> None:
        super().__init__(
            f"the record of item {record_id!r} is {size} bytes as JSON; at most {limit} are allowed"
        )
        self.record_id = record_id
        self.size = size
        self.limit = limit


class BasketFull(UsageError):
    """The basket would hold more items than allowed."""

    code = "basket_full"

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"basket {name!r} cannot hold more than {limit} items")
        self.name = name
        self.limit = limit


class ExportFormat(enum.Enum):
    """The forms a basket is exported in; the value names the format in export URLs."""

    VOTABLE = "votable"
    CSV = "csv"
    JSON = "json"

    @property
    def media_type(self) -> str:
        """The Content-Type of an export in this format."""
        return {
            ExportFormat.VOTABLE: "application/x-votable+xml",
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.JSON: "application/json",
        }[self]

    @property
    def extension(self) -> str:
        """The file name extension of an export in this format."""
        return {ExportFormat.VOTABLE: "vot", ExportFormat.CSV: "csv", ExportFormat.JSON: "json"}[
            self
        ]


def export_path(basket: str, fmt: ExportFormat) -> str:
    """The path, below the gateway's base URL, a basket is exported at."""
    return f"/baskets/{basket}/export.{fmt.value}"
