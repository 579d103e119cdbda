"""Target names: what a resolved name is, the error for one that is not, and its query field."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace

from esap_graphql.domain.archives import FieldType, QueryField
from esap_graphql.domain.errors import InvalidParameter, UsageError

#: Longest name accepted (the same bound as every free-text query value).
MAX_NAME_LENGTH = 256


@dataclass(frozen=True, slots=True)
class ResolvedName:
    """A name and the ICRS position a resolver gave it."""

    name: str
    ra: float
    dec: float
    resolver: str
    object_name: str | None = None


class NameNotResolved(UsageError):
    """No resolver knows this name."""

    code = "name_not_resolved"

    def __init__(self, name: str) -> None:
        super().__init__(f"no position is known for the name {name!r}")
        self.name = name


def normalise_name(name: str, *, parameter: str = "name") -> str:
    """The name as looked up and cached: NFC, single spaces; raise ``InvalidParameter``."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise InvalidParameter(parameter, "must not be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidParameter(parameter, f"longer than {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in cleaned):
        raise InvalidParameter(parameter, "contains control or unassigned characters")
    return cleaned


def checked_position(ra: float, dec: float) -> tuple[float, float] | None:
    """(ra, dec) when both are finite ICRS degrees in range; None otherwise."""
    if not (math.isfinite(ra) and math.isfinite(dec)):
        return None
    if not (0.0 <= ra <= 360.0 and -90.0 <= dec <= 90.0):
        return None
    return (0.0 if ra == 360.0 else ra), dec


#: The form field of a dataset that searches by position only: the name becomes a cone.
RESOLVED_TARGET_FIELD = QueryField(
    name="target",
    label="Target name",
    type=FieldType.STRING,
    description="Name of an object (e.g. M 31), resolved to its position by Sesame (CDS); "
    "records within the radius given (or the default radius) of it are searched.",
)


def with_resolved_target(fields: tuple[QueryField, ...]) -> tuple[QueryField, ...]:
    """A cone-only form that also takes a target name: the cone is then not required."""
    if any(f.name == "target" for f in fields):
        return fields
    loosened = tuple(
        replace(f, required=False) if f.name in ("ra", "dec", "radius") else f for f in fields
    )
    return (*loosened, RESOLVED_TARGET_FIELD)
