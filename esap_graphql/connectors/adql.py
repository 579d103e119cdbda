"""Safe ADQL construction: validated values become literals, never query text.

Only three kinds of thing reach the query: identifiers from the validated
configuration, numbers that are finite floats or ints, and string literals
quoted here. A string literal is wrapped in single quotes with every single
quote doubled (ADQL's only escape); characters that a server could read as
the end of the statement or of the line (NUL, control characters) were
already refused by ``QueryParams.validated`` and are refused again here, so
no user value can end the literal, open a comment or add a clause.
"""

from __future__ import annotations

import math

from esap_graphql.domain.archives import ADQL_NAME
from esap_graphql.domain.errors import InvalidParameter


def identifier(name: str) -> str:
    """A plain (unquoted) ADQL identifier; raise ``ValueError`` for anything else."""
    if not ADQL_NAME.match(name):
        raise ValueError(f"not a plain ADQL identifier: {name!r}")
    return name


def string_literal(value: str, *, parameter: str) -> str:
    """``value`` as an ADQL character literal."""
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise InvalidParameter(parameter, "contains control characters")
    return "'" + value.replace("'", "''") + "'"


def number_literal(value: float | int, *, parameter: str) -> str:
    """A finite number as an ADQL numeric literal (never exponent-free text from the user)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameter(parameter, "must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameter(parameter, "must be a finite number")
        return repr(value)
    return str(value)


def cone_condition(ra_column: str, dec_column: str, ra: float, dec: float, radius: float) -> str:
    """Records whose position lies within ``radius`` degrees of (ra, dec)."""
    return (
        f"CONTAINS(POINT('ICRS', {identifier(ra_column)}, {identifier(dec_column)}), "
        f"CIRCLE('ICRS', {number_literal(ra, parameter='ra')}, "
        f"{number_literal(dec, parameter='dec')}, "
        f"{number_literal(radius, parameter='radius')})) = 1"
    )


def select(table: str, conditions: list[str]) -> str:
    """``SELECT * FROM table [WHERE a AND b ...]``; the row limit travels as MAXREC."""
    query = f"SELECT * FROM {identifier(table)}"
    if conditions:
        query += " WHERE " + " AND ".join(conditions)
    return query
