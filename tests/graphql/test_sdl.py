"""schema.graphql is the served schema, and every part of it is described."""

from __future__ import annotations

from pathlib import Path

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from esap_graphql.schema import build_schema, schema_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_equals_served_schema() -> None:
    on_disk = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == schema_sdl(), "schema.graphql is stale: run `esap-graphql export-schema`"


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    schema = build_schema()._schema
    missing: list[str] = []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(gtype, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, ev in gtype.values.items() if not ev.description]
        if isinstance(gtype, GraphQLUnionType) and not gtype.description:
            missing.append(name)
    assert missing == []


async def test_served_schema_is_introspectable(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __schema { queryType { name description } } }"}
    )
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert response.json()["data"]["__schema"]["queryType"]["description"]


def test_the_query_input_names_exactly_the_domain_parameters() -> None:
    # The parameters are declared once, in the domain (QueryParams); the GraphQL input spells
    # the same names in camelCase, and the query forms use them: nothing may drift apart.
    from esap_graphql.domain.archives import Protocol
    from esap_graphql.domain.query import PARAMETER_NAMES, public_name
    from esap_graphql.domain.query_fields import default_query_fields

    schema = build_schema()._schema
    query_input = schema.type_map["QueryParamsInput"]
    assert isinstance(query_input, GraphQLInputObjectType)
    assert list(query_input.fields) == [public_name(name) for name in PARAMETER_NAMES]
    forms = default_query_fields(Protocol.TAP, obscore=True, fixed_collection=None, collections=())
    assert {f.name for f in forms} <= set(query_input.fields)
