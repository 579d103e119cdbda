"""The same schema as an Apollo Federation v2 subgraph, built beside the standalone one.

A supergraph router composes us with other services: they extend our entities
(``Archive``, ``Dataset``, ``Job``, ``BasketItem``, each keyed by ``id``), may resolve
the catalogue's descriptive fields themselves (``@shareable``), and do not see what
only a direct client needs (``@inaccessible``). The router fetches our SDL from
``_service { sdl }`` and resolves references through ``_entities``.

strawberry prints a type's directives from its definition, and both schemas are
built from the same classes: putting ``@key`` on the classes would change the
standalone schema (``schema.graphql``) too. So the subgraph is given copies of the
definitions that carry the federation directives (types), and copies of the fields
(``get_fields``); the classes, and the standalone schema, stay as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Final, TypeAlias, cast

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Inaccessible, Key, Shareable
from strawberry.federation.types import FieldSet
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import create_type, merge_types
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from esap_graphql.domain.errors import InvalidParameter
from esap_graphql.resolvers import entities as resolve
from esap_graphql.schema.archives import Archive, Dataset
from esap_graphql.schema.basket import BasketItem
from esap_graphql.schema.context import Info
from esap_graphql.schema.document_guard import GuardSettings
from esap_graphql.schema.jobs import Job
from esap_graphql.schema.viewer import Viewer

#: Every directive used here is part of Federation 2.0; linking an older version of
#: the spec lets older routers and composition tools load the subgraph as well.
FEDERATION_VERSION: Final = "2.3"

#: The entities other services extend or reference, and their keys.
ENTITY_KEYS: Mapping[type, str] = {Archive: "id", Dataset: "id", Job: "id", BasketItem: "id"}

# The catalogue's descriptive fields never change for an id: a service that keeps a
# copy of them (a registry, a publication index) may answer them too, and the
# router then takes them from whichever service it already asks.
_CATALOGUE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Archive": (
        "name",
        "shortDescription",
        "longDescription",
        "instrument",
        "thumbnail",
        "retrievalDescription",
        "documentationUrl",
    ),
    "Dataset": (
        "name",
        "description",
        "protocol",
        "accessUrl",
        "table",
        "collection",
        "multiQuery",
    ),
}

#: Directives on types (by class) beyond what the standalone schema has.
TYPE_DIRECTIVES: Mapping[type, tuple[object, ...]] = {
    **{cls: (Key(fields=FieldSet(key)),) for cls, key in ENTITY_KEYS.items()},
    # Who is asking is the supergraph's business (its router and user service); our
    # view of the caller, including single-user mode, is for direct clients.
    Viewer: (Inaccessible(),),
}

#: Directives on fields, by (GraphQL type name, GraphQL field name).
FIELD_DIRECTIVES: Mapping[tuple[str, str], tuple[object, ...]] = {
    **{
        (type_name, field): (Shareable(),)
        for type_name, fields in _CATALOGUE_FIELDS.items()
        for field in fields
    },
    ("Query", "me"): (Inaccessible(),),
}


@dataclasses.dataclass(eq=False)
class _SubgraphDefinition(StrawberryObjectDefinition):
    """A type's definition with extra directives, standing in for it in the subgraph."""

    base: StrawberryObjectDefinition | None = None

    def is_implemented_by(self, root: Any) -> bool:
        # Resolvers return instances of the class, whose definition is the base.
        return bool(root.__strawberry_definition__ is self.base) or super().is_implemented_by(root)


def _with_directives(
    base: StrawberryObjectDefinition, directives: Sequence[object]
) -> _SubgraphDefinition:
    """A stand-in for ``base`` with these type directives and those of FIELD_DIRECTIVES."""
    values = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    values["directives"] = [*(base.directives or ()), *directives]
    values["fields"] = [_with_field_directives(base.name, f) for f in base.fields]
    return _SubgraphDefinition(**values, base=base)


def _with_field_directives(
    type_name: str, field: StrawberryField, *, always_copy: bool = False
) -> StrawberryField:
    extra = FIELD_DIRECTIVES.get((type_name, _NAMES.from_field(field)))
    if not extra and not always_copy:
        return field
    copied = field.__copy__()
    copied.directives = [*field.directives, *(extra or ())]
    return copied


# The types FIELD_DIRECTIVES names, other than the root Query (built here).
_CLASSES: Mapping[str, type] = {"Archive": Archive, "Dataset": Dataset}
_NAMES = NameConverter()

Entity: TypeAlias = Annotated[
    Archive | Dataset | Job | BasketItem,
    strawberry.union("_Entity", description="Every type other services may reference by key."),
]

_Lookup = Callable[[Info, list[str]], Any]


async def _archives(info: Info, ids: list[str]) -> dict[str, object]:
    return {k: Archive.from_domain(v) for k, v in resolve.archives(info.context, ids).items()}


async def _datasets(info: Info, ids: list[str]) -> dict[str, object]:
    return {k: Dataset.from_domain(v) for k, v in resolve.datasets(info.context, ids).items()}


async def _jobs(info: Info, ids: list[str]) -> dict[str, object]:
    found = await resolve.jobs(info.context, ids)
    url = info.context.base_url
    return {k: Job.from_domain(v, url) for k, v in found.items()}


# Elsewhere items are served as the domain objects they are (see schema.basket); the
# _Entity union needs instances of the type itself to tell which member they are.
_ITEM_ATTRIBUTES = tuple(
    f.python_name
    for f in BasketItem.__strawberry_definition__.fields  # type: ignore[attr-defined]
    if f.base_resolver is None
)


async def _basket_items(info: Info, ids: list[str]) -> dict[str, object]:
    found = await resolve.basket_items(info.context, ids)
    return {
        k: BasketItem(**{name: getattr(v, name) for name in _ITEM_ATTRIBUTES})
        for k, v in found.items()
    }


_LOOKUPS: Mapping[str, _Lookup] = {
    "Archive": _archives,
    "Dataset": _datasets,
    "Job": _jobs,
    "BasketItem": _basket_items,
}


@strawberry.type
class EntityQuery:
    """The federation entry point a router resolves references through."""

    @strawberry.field(
        name="_entities",
        description="The entities with these keys, in order; null for one the caller cannot "
        "see or that does not exist.",
    )
    async def entities(
        self,
        info: Info,
        representations: Annotated[
            list[FederationAny],
            strawberry.argument(description="Typename and key of each entity wanted."),
        ],
    ) -> list[Entity | None]:
        wanted: dict[str, list[str]] = {}
        keys: list[tuple[str, str] | InvalidParameter] = []
        for index, representation in enumerate(representations):
            key = _key(representation, index)
            keys.append(key)
            if not isinstance(key, InvalidParameter):
                wanted.setdefault(key[0], []).append(key[1])
        found = {name: await _LOOKUPS[name](info, ids) for name, ids in wanted.items()}
        # An exception in the list is a GraphQL error at that index, the others stand.
        entities: list[Any] = [
            key if isinstance(key, InvalidParameter) else found[key[0]].get(key[1]) for key in keys
        ]
        return entities


def _key(representation: object, index: int) -> tuple[str, str] | InvalidParameter:
    """(typename, id) of one representation, or why it cannot be looked up."""
    where = f"representations[{index}]"
    if not isinstance(representation, dict):
        return InvalidParameter(where, "must be an object")
    typename = representation.get("__typename")
    if typename not in _LOOKUPS:
        return InvalidParameter(where, f"{typename!r} is not an entity of this subgraph")
    key = representation.get("id")
    if not isinstance(key, str | int) or isinstance(key, bool):
        return InvalidParameter(where, f"a {typename} is looked up by its id")
    return str(typename), str(key)


class SubgraphSchema(FederationSchema):
    """strawberry's federation schema over our types, with the directives above."""

    def __init__(self, *, query: type, types: Iterable[type] = (), **options: Any) -> None:
        merged: StrawberryObjectDefinition = merge_types(
            "Query", (query, EntityQuery)
        ).__strawberry_definition__  # type: ignore[attr-defined]
        # A root of copied fields: the federation schema derives its own root from it.
        root = create_type(
            "Query",
            [_with_field_directives("Query", f, always_copy=True) for f in merged.fields],
            description=query.__strawberry_definition__.description,  # type: ignore[attr-defined]
        )
        typed = {*TYPE_DIRECTIVES, *(_CLASSES[t] for t, _ in FIELD_DIRECTIVES if t in _CLASSES)}
        stand_ins = [
            _with_directives(cls.__strawberry_definition__, TYPE_DIRECTIVES.get(cls, ()))  # type: ignore[attr-defined]
            for cls in sorted(typed, key=lambda c: c.__name__)
        ]
        # Object types are converted once per name, the first definition met winning;
        # the root types' fields are converted later, so these come first.
        super().__init__(
            query=root,
            types=[*cast(list[type], stand_ins), *types],
            federation_version=FEDERATION_VERSION,
            **options,
        )
        for definition in stand_ins:
            converted = self.schema_converter.type_map[definition.name].definition
            if converted is not definition:
                raise RuntimeError(f"the subgraph lost the federation directives of {definition}")


def build_subgraph_schema(
    *,
    guard: GuardSettings | None = None,
    fast_lists: bool = True,
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """The subgraph, with the same guards, extensions and error masking as the schema."""
    from esap_graphql.schema import build_schema

    return build_schema(
        guard=guard, fast_lists=fast_lists, schema_class=SubgraphSchema, extensions=extensions
    )


def subgraph_sdl() -> str:
    """The subgraph SDL as written to schema.subgraph.graphql (what ``_service { sdl }`` says)."""
    return build_subgraph_schema().as_str() + "\n"
