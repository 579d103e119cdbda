"""The GraphQL surface: types, inputs, errors and the ``Schema`` object."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.tools import merge_types

from esap_graphql.domain.errors import EsapError
from esap_graphql.schema.analysis import AnalysisMutation, AnalysisQuery
from esap_graphql.schema.basket import BasketMutation, BasketQuery
from esap_graphql.schema.catalogue import CatalogueQuery
from esap_graphql.schema.data_lake import DataLakeQuery
from esap_graphql.schema.document_guard import GuardSettings, document_guard
from esap_graphql.schema.errors import ERROR_TYPES
from esap_graphql.schema.fast_lists import FastListExecutionContext
from esap_graphql.schema.jobs import JobMutation, JobQuery, JobSubscription
from esap_graphql.schema.multi_query import MultiQueryQuery, MultiQuerySubscription
from esap_graphql.schema.names import NameQuery
from esap_graphql.schema.registry import RegistryQueryRoot
from esap_graphql.schema.registry_errors import REGISTRY_ERROR_TYPES
from esap_graphql.schema.scope_guard import ScopeGuard
from esap_graphql.schema.viewer import ViewerQuery

logger = logging.getLogger(__name__)

# "Did you mean ...?" at the end of graphql-core's messages (validation and coercion).
_SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)

# Each feature contributes root types here; they are merged into one root each.
QUERIES: tuple[type, ...] = (
    CatalogueQuery,
    DataLakeQuery,
    MultiQueryQuery,
    BasketQuery,
    ViewerQuery,
    JobQuery,
    RegistryQueryRoot,
    NameQuery,
    AnalysisQuery,
)
MUTATIONS: tuple[type, ...] = (
    BasketMutation,
    JobMutation,
    AnalysisMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    MultiQuerySubscription,
    JobSubscription,
)


def _root(name: str, parts: tuple[type, ...], description: str) -> type | None:
    if not parts:
        return None
    root = merge_types(name, parts)
    root.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return root


Query = merge_types("Query", QUERIES)
Query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Entry points for reading: archives, datasets, queries."
)
Mutation = _root("Mutation", MUTATIONS, "Entry points for changing state.")
Subscription = _root("Subscription", SUBSCRIPTIONS, "Live updates pushed to the client.")


class GatewayErrors(MaskErrors):
    """Masks unexpected errors; our expected ones keep their message and gain their code."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="Internal server error.")
        self.suggestions = suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            code = _request_error_code(error)
            if code is not None:
                error.extensions = {**(error.extensions or {}), "code": code}
        processed = super()._process_errors(errors)
        for error in processed:
            if isinstance(error.original_error, EsapError):
                error.extensions = {**(error.extensions or {}), "code": error.original_error.code}
            if not self.suggestions and "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)
        return processed


def _request_error_code(error: GraphQLError) -> str | None:
    """The conventional code of an error in the request itself (before execution), if it
    has none yet: syntax, validation, a variable's value."""
    if error.path is not None or (error.extensions or {}).get("code") or _should_mask(error):
        return None
    if error.original_error is not None:
        return "BAD_USER_INPUT"  # a variable's value, refused by its type
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def _should_mask(error: GraphQLError) -> bool:
    """Mask everything but the client's mistakes and our own expected errors."""
    original = error.original_error
    if original is None:
        return False  # GraphQL syntax/validation: the client's mistake, keep it
    if (
        error.path is None
        and error.nodes
        and isinstance(original, GraphQLError | ValueError | TypeError)
    ):
        # a variable's value refused by its type (graphql-core's coercion): the message
        # names the variable and the problem, and comes from the client's own input
        return False
    return not isinstance(original, EsapError)


def build_schema(
    *,
    guard: GuardSettings | None = None,
    fast_lists: bool = True,
    schema_class: type[strawberry.Schema] = strawberry.Schema,
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """The schema served by the gateway, with its cost limits (``document_guard``).

    Parsing and validating a document costs several milliseconds, as much as
    a small archive query: both are cached per document text (bounded in bytes).
    ``schema_class`` builds the federation subgraph (``schema.subgraph``); ``extensions``
    come first (telemetry: they see parsing and validation too).
    """
    guard = guard or GuardSettings()
    rules: list[type[ASTValidationRule]] = []
    if not guard.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return schema_class(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*ERROR_TYPES, *REGISTRY_ERROR_TYPES],
        execution_context_class=FastListExecutionContext if fast_lists else None,
        extensions=[
            *extensions,
            document_guard(guard, rules),
            ScopeGuard,
            lambda: GatewayErrors(suggestions=guard.suggestions),
        ],
    )


def schema_sdl() -> str:
    """The SDL as written to schema.graphql."""
    return build_schema().as_str() + "\n"
