"""The basket client: where the gateway is (``find_connection``), reading the basket in one
request (the basket's ``table`` field) into an astropy Table, adding rows in batches.

Where the connection comes from, first found wins:

1. the ``ESAP_GATEWAY_URL`` variable (with ``ESAP_BASKET`` and ``ESAP_TOKEN``);
2. the file ``ESAP_CONNECTION`` names;
3. ``esap.json`` in the working directory or one of its parents (a JupyterHub launch writes
   it beside the workflow and at the server's root), then in the home directory.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from astropy.table import Column, MaskedColumn, Table

try:  # several times faster on a large basket; the client works without it
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson comes with esap-graphql
    from json import loads as _loads  # type: ignore[assignment]

CONNECTION_FILE = "esap.json"
DEFAULT_BASKET = "default"

_READ = "query ($name: String) { basket(name: $name) { table } }"
_ADD = """mutation ($basket: String, $items: [BasketItemInput!]!) {
  addToBasket(basket: $basket, items: $items) {
    __typename
    ... on BasketItemsAdded { added }
    ... on Error { code message }
  }
}"""
# Item fields the gateway keeps as columns; any other key of a row goes into its record.
_FIELDS = {
    "dataset": "dataset",
    "record_id": "recordId",
    "title": "title",
    "access_url": "accessUrl",
    "access_format": "accessFormat",
    "size_bytes": "sizeBytes",
    "ra": "ra",
    "dec": "dec",
}
_ALIASES = {camel: snake for snake, camel in _FIELDS.items()}
# The read-only columns of a read table, ignored when rows are added back.
_READ_ONLY = {"id", "archive", "dataset_available", "added_at"}
_FLOATS = {"ra": "deg", "dec": "deg"}


class BasketClientError(Exception):
    """The gateway refused or failed a call; ``code`` is its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the basket is and the token to reach it with."""

    gateway_url: str
    basket: str = DEFAULT_BASKET
    token: str | None = None

    @property
    def graphql_url(self) -> str:
        """The gateway's GraphQL endpoint."""
        return self.gateway_url.rstrip("/") + "/graphql"

    @classmethod
    def from_file(cls, path: Path) -> Connection:
        """A connection from an ``esap.json`` written by a launch."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            gateway_url=str(data["gateway_url"]),
            basket=str(data.get("basket") or DEFAULT_BASKET),
            token=data.get("token"),
        )


def find_connection(start: Path | None = None) -> Connection | None:
    """The connection the launch set up (see the module's docstring), or None."""
    env = os.environ
    if env.get("ESAP_GATEWAY_URL"):
        return Connection(
            gateway_url=env["ESAP_GATEWAY_URL"],
            basket=env.get("ESAP_BASKET") or DEFAULT_BASKET,
            token=env.get("ESAP_TOKEN") or None,
        )
    if env.get("ESAP_CONNECTION"):
        return Connection.from_file(Path(env["ESAP_CONNECTION"]))
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents, Path.home()):
        candidate = directory / CONNECTION_FILE
        if candidate.is_file():
            return Connection.from_file(candidate)
    return None


def connect(
    gateway_url: str | None = None,
    *,
    basket: str | None = None,
    token: str | None = None,
    timeout: float = 60.0,
) -> BasketClient:
    """The basket client: for the gateway given, else for what the launch set up."""
    if gateway_url is None:
        found = find_connection()
        if found is None:
            raise BasketClientError(
                "no_connection",
                "no esap.json found and ESAP_GATEWAY_URL is not set: pass the gateway URL "
                "(and basket, token) to connect()",
            )
        gateway_url = found.gateway_url
        basket = basket or found.basket
        token = token or found.token
    connection = Connection(gateway_url=gateway_url, basket=basket or DEFAULT_BASKET, token=token)
    return BasketClient(connection, timeout=timeout)


class BasketClient:
    """One basket of one gateway."""

    def __init__(self, connection: Connection, *, timeout: float = 60.0) -> None:
        self.connection = connection
        headers = {"Accept": "application/json"}
        if connection.token:
            headers["Authorization"] = f"Bearer {connection.token}"
        self._http = httpx.Client(headers=headers, timeout=timeout)

    def __enter__(self) -> BasketClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP connection."""
        self._http.close()

    @property
    def basket(self) -> str:
        """The basket's name."""
        return self.connection.basket

    def table(self) -> Table:
        """The basket's items, one row each (masked where a value is missing)."""
        data = self._call(_READ, {"name": self.basket})
        return to_table(data["basket"]["table"], name=self.basket)

    def add(self, rows: Table | Iterable[Mapping[str, Any]], *, batch_size: int = 500) -> int:
        """Add rows (dicts or an astropy Table) as items; return how many are new.

        A row needs ``dataset`` (a dataset the gateway knows) and ``record_id``; ``title``,
        ``access_url``, ``access_format``, ``size_bytes``, ``ra``, ``dec`` are kept as such,
        and every other column goes into the item's ``record``. Rows read with ``table()``
        can be added back as they are.
        """
        items = [to_item(row) for row in _rows(rows)]
        added = 0
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            data = self._call(_ADD, {"basket": self.basket, "items": batch})
            result = data["addToBasket"]
            if result["__typename"] != "BasketItemsAdded":
                raise BasketClientError(result.get("code", "error"), result.get("message", ""))
            added += int(result["added"])
        return added

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(
            self.connection.graphql_url, json={"query": query, "variables": variables}
        )
        if response.status_code in (401, 403, 503):
            body = _json(response)
            raise BasketClientError(
                str(body.get("error", f"http_{response.status_code}")),
                str(body.get("message", response.text[:200])),
            )
        response.raise_for_status()
        body = _json(response)
        if body.get("errors"):
            error = body["errors"][0]
            code = (error.get("extensions") or {}).get("code", "graphql_error")
            raise BasketClientError(str(code), str(error.get("message", "")))
        data: dict[str, Any] = body["data"]
        return data


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = _loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def to_table(value: Mapping[str, Any], *, name: str = DEFAULT_BASKET) -> Table:
    """An astropy Table of a basket's ``table`` value (``{columns, rows}``)."""
    names: list[str] = list(value["columns"])
    rows: list[list[Any]] = value["rows"]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    table = Table(meta={"basket": name})
    for column, values in zip(names, columns, strict=True):
        table[column] = _column(column, values)
    return table


def _column(name: str, values: tuple[Any, ...]) -> Column | MaskedColumn:
    missing = [v is None for v in values]
    if name in _FLOATS or name == "size_bytes":
        dtype: Any = np.float64 if name in _FLOATS else np.int64
        data = np.array([0 if v is None else v for v in values], dtype=dtype)
        unit = _FLOATS.get(name) or "byte"
        if any(missing):
            return MaskedColumn(data, name=name, mask=missing, unit=unit)
        return Column(data, name=name, unit=unit)
    if name == "dataset_available":
        return Column(np.array(values, dtype=bool), name=name)
    if name == "record":
        data = np.empty(len(values), dtype=object)
        data[:] = values
        return Column(data, name=name)
    if any(missing):
        return MaskedColumn(
            np.array(["" if v is None else v for v in values], dtype=str), name=name, mask=missing
        )
    return Column(np.array(values, dtype=str), name=name)


def _rows(rows: Table | Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    if isinstance(rows, Table):
        names = rows.colnames
        return ({n: row[n] for n in names} for row in rows)
    return rows


def to_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``BasketItemInput`` of a row: known fields as such, the rest in ``record``."""
    item: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    record: Any = None
    for key, raw in row.items():
        value = _plain(raw)
        snake = _ALIASES.get(key, key)
        if snake in _FIELDS:
            if value is not None:
                item[_FIELDS[snake]] = value
        elif snake == "record":
            record = value
        elif snake not in _READ_ONLY and value is not None:
            extra[key] = value
    if "dataset" not in item or "recordId" not in item:
        raise BasketClientError("invalid_row", f"a row needs dataset and record_id: {dict(row)}")
    item["recordId"] = str(item["recordId"])
    if isinstance(record, Mapping):
        item["record"] = {**record, **extra}
    elif extra:
        item["record"] = extra
    return item


def _plain(value: Any) -> Any:
    """A JSON value for numpy scalars, masked values and NaN."""
    if value is np.ma.masked:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value
