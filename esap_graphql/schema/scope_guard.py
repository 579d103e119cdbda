"""Which GraphQL operations a scoped token may run: reading its basket (``basket``) and, when
it may write, adding to it (``addToBasket``). Nothing else: no other basket, no jobs, no
subscriptions, no other root field.

A schema extension checks the operation's root fields before it executes, with variables
resolved; a refused operation fails as a whole with an ``insufficient_scope`` error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperation

from esap_graphql.domain.basket import DEFAULT_BASKET
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.tokens import ScopeAction, TokenScope

# Root field -> (operation type, the argument naming the basket, the action it needs).
_ALLOWED: dict[str, tuple[OperationType, str, ScopeAction]] = {
    "basket": (OperationType.QUERY, "name", ScopeAction.READ),
    "addToBasket": (OperationType.MUTATION, "basket", ScopeAction.WRITE),
}


class InsufficientScope(UsageError):
    """A scoped token asked for something outside its scope."""

    code = "insufficient_scope"

    def __init__(self, problem: str) -> None:
        super().__init__(f"this token is limited to one basket: {problem}")


def check_operation(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    scope: TokenScope,
) -> None:
    """Raise ``InsufficientScope`` unless every root field of the operation is in scope."""
    operation = _operation(document, operation_name)
    if operation is None:
        return  # graphql-core reports the missing operation itself
    for node in operation.selection_set.selections:
        if not isinstance(node, FieldNode):
            raise InsufficientScope("fragments are not allowed at the root")
        name = node.name.value
        if name == "__typename":
            continue
        allowed = _ALLOWED.get(name)
        if allowed is None or allowed[0] is not operation.operation:
            raise InsufficientScope(f"{name!r} is not allowed")
        _, argument, action = allowed
        basket = _argument(node, argument, _variables(operation, variables or {}))
        if basket != scope.basket:
            raise InsufficientScope(f"basket {basket!r} is not the token's basket")
        if not scope.allows(action):
            raise InsufficientScope(f"{name!r} needs {action.value} access, which it lacks")


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _variables(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> Mapping[str, Any]:
    """The variables as execution will see them: given values, else the declared defaults."""
    values = dict(given)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        default = definition.default_value
        if name not in values and default is not None:
            if isinstance(default, NullValueNode):
                values[name] = None
            else:
                values[name] = default.value if isinstance(default, StringValueNode) else default
    return values


def _argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> str | None:
    value: ValueNode | None = next(
        (a.value for a in node.arguments or () if a.name.value == name), None
    )
    raw: object
    if value is None or isinstance(value, NullValueNode):
        raw = None
    elif isinstance(value, VariableNode):
        raw = variables.get(value.name.value)
    elif isinstance(value, StringValueNode):
        raw = value.value
    else:
        raise InsufficientScope(f"argument {name!r} must be a string")
    if raw is None:
        return DEFAULT_BASKET
    if not isinstance(raw, str):
        raise InsufficientScope(f"argument {name!r} must be a string")
    return raw


class ScopeGuard(SchemaExtension):
    """Refuses, before execution, operations outside the caller's token scope."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        user = getattr(context, "user", None)
        scope: TokenScope | None = getattr(user, "scope", None)
        document = self.execution_context.graphql_document
        if scope is not None and document is not None:
            try:
                check_operation(
                    document,
                    self.execution_context.operation_name,
                    self.execution_context.variables,
                    scope,
                )
            except InsufficientScope as exc:
                if self.execution_context.operation_type is StrawberryOperation.SUBSCRIPTION:
                    raise  # strawberry reports it as the subscription's error
                # A result set before execution replaces it, and goes through error masking
                # (which keeps our message and adds the code) like any other.
                error = GraphQLError(exc.message, original_error=exc)
                self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield
