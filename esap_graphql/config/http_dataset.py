"""The ``http:`` block of a ``protocol: http`` dataset: validation and conversion to the domain.

``config/catalogue.py`` embeds ``HttpApiConfig`` in its dataset model, so problems are
reported like every other catalogue problem: file, entry, field, message
(``archives[2] (zenodo) > datasets[0] (zenodo-records) > http > answer >
records: Value error, not a JMESPath expression: ...``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from esap_graphql.domain.archives import FieldType, Protocol, QueryField
from esap_graphql.domain.http_api import (
    ANGLE_PARAMETERS,
    PARAMETER_NAMES,
    TOKEN,
    VALUE,
    AnswerPaths,
    AuthHeader,
    Escape,
    HttpApi,
    Paging,
    PagingStyle,
    ParameterMapping,
)
from esap_graphql.domain.names import with_resolved_target
from esap_graphql.domain.query import DATAPRODUCT_TYPES
from esap_graphql.domain.query_fields import default_query_fields

ParameterName = Literal[
    "target", "ra", "dec", "radius", "collection", "calibrationLevel", "dataproductType"
]
RecordFieldName = Literal[
    "id",
    "title",
    "target",
    "ra",
    "dec",
    "fov",
    "dataproduct_type",
    "calibration_level",
    "collection",
    "size_bytes",
    "access_url",
    "access_format",
    "thumbnail_url",
]

# A query parameter name as archives use them (Django's ``target__icontains``,
# JSON:API's ``page[size]``): no character that would end the name or the pair.
_QUERY_NAME = r"^[A-Za-z0-9_.~:\[\]-]{1,100}$"
# An HTTP header name (RFC 9110 token) and an environment variable name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,100}$"
# Credentials come from the environment (auth:), never from the catalogue text.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

QueryName = Annotated[str, Field(pattern=_QUERY_NAME)]


def _jmespath(expression: str) -> str:
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        raise ValueError(f"not a JMESPath expression: {expression!r} ({exc})") from exc
    return expression


def _no_line_breaks(text: str, what: str) -> str:
    if "\r" in text or "\n" in text:
        raise ValueError(f"{what} must not contain line breaks")
    return text


class ParameterMappingConfig(BaseModel):
    """One of our parameters as one of the archive's: ``ra: {name: view_ra}``."""

    model_config = ConfigDict(extra="forbid")

    name: QueryName
    template: str = VALUE
    unit: Literal["deg", "arcmin", "arcsec", "mas", "rad"] = "deg"
    escape: Literal["none", "lucene"] = "none"
    values: dict[str, str] = {}

    @field_validator("template")
    @classmethod
    def _has_value(cls, template: str) -> str:
        if VALUE not in template:
            raise ValueError(f"a template must hold {VALUE}, e.g. 'title:\"{VALUE}\"'")
        return template


class PagingConfig(BaseModel):
    """How the archive pages; the parameter names of its style."""

    model_config = ConfigDict(extra="forbid")

    style: Literal["none", "page", "offset", "cursor", "link"] = "none"
    page_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    size_parameter: QueryName | None = None
    page_parameter: QueryName = "page"
    first_page: Annotated[int, Field(ge=0)] = 1
    offset_parameter: QueryName = "offset"
    cursor_parameter: QueryName = "cursor"
    first_cursor: str | None = None
    max_pages: Annotated[int, Field(ge=1, le=10_000)] = 50


class AnswerConfig(BaseModel):
    """Where the records, the total count and the next page (URL or cursor) are."""

    model_config = ConfigDict(extra="forbid")

    records: str
    total: str | None = None
    next: str | None = None

    @field_validator("records", "total", "next")
    @classmethod
    def _compiles(cls, expression: str | None) -> str | None:
        return _jmespath(expression) if expression is not None else None


class AuthConfig(BaseModel):
    """A header whose value is read from an environment variable when a request is sent."""

    model_config = ConfigDict(extra="forbid")

    header: str = "Authorization"
    env: Annotated[str, Field(pattern=_ENV_NAME)]
    template: str = TOKEN
    optional: bool = False

    @field_validator("header")
    @classmethod
    def _header_name(cls, name: str) -> str:
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not an HTTP header name")
        return name

    @field_validator("template")
    @classmethod
    def _has_token(cls, template: str) -> str:
        if TOKEN not in template:
            raise ValueError(f"a template must hold {TOKEN}, e.g. 'Bearer {TOKEN}'")
        return _no_line_breaks(template, "the template")


class HttpApiConfig(BaseModel):
    """The ``http:`` block of a dataset."""

    model_config = ConfigDict(extra="forbid")

    parameters: dict[ParameterName, ParameterMappingConfig] = {}
    fixed: dict[QueryName, str | int | float | bool] = {}
    headers: dict[str, str] = {}
    paging: PagingConfig = PagingConfig()
    answer: AnswerConfig
    record: dict[RecordFieldName, str] = {}
    auth: AuthConfig | None = None
    max_response_bytes: Annotated[int, Field(ge=1024, le=512 * 1024 * 1024)] = 16 * 1024 * 1024

    @field_validator("parameters", mode="before")
    @classmethod
    def _short_forms(cls, parameters: object) -> object:
        # ``ra: view_ra`` is short for ``ra: {name: view_ra}``
        if isinstance(parameters, dict):
            return {k: {"name": v} if isinstance(v, str) else v for k, v in parameters.items()}
        return parameters

    @field_validator("record")
    @classmethod
    def _record_paths(cls, record: dict[str, str]) -> dict[str, str]:
        for name, expression in record.items():
            try:
                _jmespath(expression)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return record

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if name.lower() in _SECRET_HEADERS:
                raise ValueError(
                    f"{name}: credentials never go in the catalogue; use auth: with the "
                    "environment variable that holds them"
                )
            _no_line_breaks(value, f"header {name}")
        return headers

    def mappings(self) -> dict[str, ParameterMappingConfig]:
        """Every mapping, by our parameter name."""
        return {str(key): value for key, value in self.parameters.items()}

    @model_validator(mode="after")
    def _check(self) -> HttpApiConfig:
        sent: dict[str, str] = {}

        def claim(name: str, use: str) -> None:
            if name in sent:
                raise ValueError(
                    f"the archive parameter {name!r} is used by {sent[name]} and {use}"
                )
            sent[name] = use

        for ours, mapping in self.mappings().items():
            claim(mapping.name, f"parameters.{ours}")
            if mapping.unit != "deg" and ours not in ANGLE_PARAMETERS:
                raise ValueError(f"parameters.{ours}: a unit applies to ra, dec and radius only")
            allowed = _VALUE_KEYS.get(ours)
            if mapping.values and ours in ANGLE_PARAMETERS:
                raise ValueError(f"parameters.{ours}: an angle takes no value table")
            if allowed is not None and not set(mapping.values) <= allowed:
                wrong = sorted(set(mapping.values) - allowed)
                raise ValueError(
                    f"parameters.{ours}.values: {', '.join(wrong)} can never be asked for "
                    f"(one of {', '.join(sorted(allowed))})"
                )
        for name in self.fixed:
            claim(name, "fixed")
        paging = self.paging
        if paging.size_parameter is not None:
            claim(paging.size_parameter, "paging.size_parameter")
        if paging.style == "page":
            claim(paging.page_parameter, "paging.page_parameter")
        elif paging.style == "offset":
            claim(paging.offset_parameter, "paging.offset_parameter")
        elif paging.style == "cursor":
            claim(paging.cursor_parameter, "paging.cursor_parameter")
            if self.answer.next is None:
                raise ValueError("paging style cursor needs answer.next: where the cursor is")
        if paging.style == "none" and self.answer.next is not None:
            raise ValueError("answer.next is read only when paging.style is link or cursor")
        return self


_VALUE_KEYS: dict[str, set[str]] = {
    "calibrationLevel": {"0", "1", "2", "3", "4"},
    "dataproductType": set(DATAPRODUCT_TYPES),
}


def check_http_dataset(
    protocol: Protocol, http: HttpApiConfig | None, fields: dict[str, str]
) -> None:
    """The rules binding a dataset's protocol to its ``http`` block; raise ``ValueError``."""
    if protocol is not Protocol.HTTP:
        if http is not None:
            raise ValueError(f"'http' applies to http datasets only, not {protocol.value}")
        return
    if http is None:
        raise ValueError("an http dataset needs 'http' (answer.records at least)")
    if fields:
        raise ValueError(
            "an http dataset maps record fields under http.record (JMESPath), not fields"
        )


def to_http_api(cfg: HttpApiConfig) -> HttpApi:
    """The domain form of a validated ``http:`` block."""
    paging = cfg.paging
    return HttpApi(
        answer=AnswerPaths(
            records=cfg.answer.records, total=cfg.answer.total, next=cfg.answer.next
        ),
        parameters={
            ours: ParameterMapping(
                name=m.name,
                template=m.template,
                unit=m.unit,
                escape=Escape(m.escape),
                values=dict(m.values),
            )
            for ours in PARAMETER_NAMES
            if (m := cfg.mappings().get(ours)) is not None
        },
        fixed=tuple((name, _text(value)) for name, value in cfg.fixed.items()),
        headers=tuple(cfg.headers.items()),
        paging=Paging(
            style=PagingStyle(paging.style),
            page_size=paging.page_size,
            size_parameter=paging.size_parameter,
            page_parameter=paging.page_parameter,
            first_page=paging.first_page,
            offset_parameter=paging.offset_parameter,
            cursor_parameter=paging.cursor_parameter,
            first_cursor=paging.first_cursor,
            max_pages=paging.max_pages,
        ),
        record={str(name): path for name, path in cfg.record.items()},
        auth=(
            AuthHeader(
                header=cfg.auth.header,
                env=cfg.auth.env,
                template=cfg.auth.template,
                optional=cfg.auth.optional,
            )
            if cfg.auth is not None
            else None
        ),
        max_response_bytes=cfg.max_response_bytes,
    )


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def http_query_fields(
    api: HttpApi, *, fixed_collection: str | None, collections: tuple[str, ...]
) -> tuple[QueryField, ...]:
    """The query form of an http dataset: the parameters it maps, in the usual order.

    A dataset that maps a cone but no target still takes a target name, which
    is resolved to a position; a value table makes its parameter a choice.
    """
    base = default_query_fields(
        Protocol.TAP, obscore=True, fixed_collection=fixed_collection, collections=collections
    )
    fields: list[QueryField] = []
    for field in base:
        mapping = api.parameters.get(field.name)
        if mapping is None:
            continue
        if mapping.values:
            field = replace(field, type=FieldType.ENUM, allowed_values=tuple(mapping.values))
        if field.name == "target":
            field = replace(
                field,
                description=f"Target name, searched by the archive itself "
                f"(its parameter {mapping.name}).",
            )
        fields.append(field)
    if "target" not in api.parameters and set(api.parameters) >= ANGLE_PARAMETERS:
        return with_resolved_target(tuple(fields))
    return tuple(fields)
