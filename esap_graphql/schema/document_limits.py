"""Cost limits of a GraphQL document, checked in one linear pass before validation.

A document is refused when it is nested too deep, uses too many aliases, costs too much
(fields counted with the size of the lists they are inside) or asks archives too many
distinct questions. Each fragment is measured once and its figures reused at every spread,
so a chain of fragments that each spread the previous one twice costs one pass, not 2^n;
figures saturate just above their limits so they stay small numbers. A fragment cycle
stops the walk (graphql-core's NoFragmentCycles names it); nesting deeper than the depth
limit is not descended into, so the walk's own recursion is bounded.

Standard validation runs after this pass and only on documents that pass it: some of
graphql-core's rules (overlapping fields) are quadratic in the number of aliases.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    print_ast,
)

#: Fields whose resolution sends a request to an archive, a registry or a resolver.
ARCHIVE_FIELDS = frozenset(
    {
        "Query.multiQuery",
        "Query.registry",
        "Query.resolve",
        "Dataset.query",
        "Dataset.tables",
        "Dataset.capabilities",
        "RegistryService.query",
        "DataLake.scopes",
        "DataLake.dataset",
        "Subscription.multiQueryStream",
    }
)

#: Arguments that say how many items a list field returns.
SIZE_ARGUMENTS = ("pageSize", "first", "last", "limit")


@dataclass(frozen=True)
class DocumentLimits:
    """The limits one document must stay within."""

    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 50_000
    max_archive_queries: int = 20
    default_list_size: int = 10
    max_list_size: int = 10_000
    max_input_list_length: int = 1_000


class DocumentRefused(Exception):
    """A limit the document is over, with the GraphQL error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def graphql_error(self) -> GraphQLError:
        """The refusal as the GraphQL error a client receives."""
        return GraphQLError(self.message, extensions={"code": self.code})


@dataclass
class _Figures:
    """What a selection set costs, as measured once."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    archive_queries: set[str] = field(default_factory=set)


def check_document(
    schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits
) -> DocumentRefused | None:
    """The first limit ``document`` is over, or None when it is within all of them."""
    try:
        _Walk(schema, document, limits).run()
    except DocumentRefused as refused:
        return refused
    return None


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits):
        self.schema = schema
        self.limits = limits
        self.operations: list[OperationDefinitionNode] = []
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.operations.append(definition)
            elif isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
        self.measured: dict[str, _Figures] = {}

    def run(self) -> None:
        for name in self._fragment_order():
            fragment = self.fragments[name]
            condition = fragment.type_condition.name.value
            parent = self.schema.get_type(condition)
            self.measured[name] = self._selection_set(
                fragment.selection_set, parent, 0, introspection=condition.startswith("__")
            )
        for operation in self.operations:
            self._check_arguments(operation)
            root = self.schema.get_root_type(operation.operation)
            figures = self._selection_set(operation.selection_set, root, 0)
            self._check_totals(figures)

    def _fragment_order(self) -> list[str]:
        """Fragments, each after the fragments it spreads; a cycle is refused (with the
        message of graphql-core's NoFragmentCycles) before it can be followed."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1: being visited, 2: done
        for start in self.fragments:
            if start in state:
                continue
            # iterative depth-first search: a long chain of fragments needs no deep recursion
            stack: list[tuple[str, Iterator[str]]] = [(start, self._spreads_of(start))]
            state[start] = 1
            while stack:
                name, pending = stack[-1]
                following = next(pending, None)
                if following is None:
                    stack.pop()
                    state[name] = 2
                    order.append(name)
                elif following in self.fragments and following not in state:
                    state[following] = 1
                    stack.append((following, self._spreads_of(following)))
                elif state.get(following) == 1:
                    raise DocumentRefused(
                        "GRAPHQL_VALIDATION_FAILED",
                        f"Cannot spread fragment '{following}' within itself.",
                    )
        return order

    def _spreads_of(self, name: str) -> Iterator[str]:
        """Names of the fragments spread anywhere inside fragment ``name``."""
        stack: list[SelectionSetNode] = [self.fragments[name].selection_set]
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FragmentSpreadNode):
                    yield selection.name.value
                elif selection.selection_set is not None:  # type: ignore[attr-defined]
                    stack.append(selection.selection_set)  # type: ignore[attr-defined]

    def _selection_set(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType | None,
        depth: int,
        *,
        introspection: bool = False,
    ) -> _Figures:
        total = _Figures()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, depth, introspection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self._selection_set(
                    selection.selection_set, inner, depth, introspection=introspection
                )
            elif isinstance(selection, FragmentSpreadNode):
                measured = self.measured.get(selection.name.value, _Figures())
                if depth + measured.depth > self.limits.max_depth:
                    raise _too_deep(self.limits)
                part = _Figures(
                    depth + measured.depth if measured.depth else 0,
                    measured.aliases,
                    measured.cost,
                    measured.archive_queries,
                )
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            self._add(total, part)
        return total

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None, depth: int, introspection: bool
    ) -> _Figures:
        name = node.name.value
        # introspection is exempt from the depth limit (the standard introspection query
        # nests ofType nine times) but not from cost
        introspection = introspection or name.startswith("__")
        own_depth = depth if introspection else depth + 1
        if own_depth > self.limits.max_depth:
            raise _too_deep(self.limits)
        figures = _Figures(depth=own_depth, aliases=1 if node.alias else 0, cost=1)
        field_type: GraphQLType | None = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
            if definition is not None:
                field_type = definition.type
                coordinate = f"{parent.name}.{name}"
                if coordinate in ARCHIVE_FIELDS:
                    figures.archive_queries = {coordinate + _arguments_key(node)}
        if name == "__schema":
            field_type = self.schema.get_type("__Schema")
        elif name == "__type":
            field_type = self.schema.get_type("__Type")
        if node.arguments:
            self._check_literal_lists(node.arguments)
        if node.selection_set is not None:
            inner = self._selection_set(
                node.selection_set,
                get_named_type(field_type) if field_type else None,
                own_depth,
                introspection=introspection,
            )
            size = self._list_size(node) if _is_list(field_type) else 1
            inner.cost = self._saturate(inner.cost * size)
            self._add(figures, inner)
        return figures

    def _list_size(self, node: FieldNode) -> int:
        """How many items a list field is taken to return: its size argument, if literal."""
        for argument in node.arguments or ():
            if argument.name.value in SIZE_ARGUMENTS and isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), self.limits.max_list_size))
        # a variable or no argument: the default (the page size itself is bounded elsewhere)
        return self.limits.default_list_size

    def _check_arguments(self, operation: OperationDefinitionNode) -> None:
        for variable in operation.variable_definitions or ():
            if variable.default_value is not None:
                self._check_literal_lists([variable.default_value])

    def _check_literal_lists(self, values: Iterable[Node]) -> None:
        """Literal lists in arguments are bounded like lists in variables."""
        stack: list[Node] = list(values)
        while stack:
            value = stack.pop()
            inner = getattr(value, "value", None)
            if isinstance(inner, Node):
                stack.append(inner)  # an argument or object field
            elif isinstance(value, ListValueNode):
                if len(value.values) > self.limits.max_input_list_length:
                    raise DocumentRefused(
                        "INPUT_TOO_LARGE",
                        f"A list in the document has {len(value.values)} items; "
                        f"at most {self.limits.max_input_list_length} are accepted.",
                    )
                stack.extend(value.values)
            elif isinstance(value, ObjectValueNode):
                stack.extend(value.fields)

    def _add(self, total: _Figures, part: _Figures) -> None:
        total.depth = max(total.depth, part.depth)
        total.aliases = self._saturate(total.aliases + part.aliases)
        total.cost = self._saturate(total.cost + part.cost)
        if part.archive_queries and not part.archive_queries <= total.archive_queries:
            total.archive_queries = total.archive_queries | part.archive_queries
            if len(total.archive_queries) > self.limits.max_archive_queries:
                raise _too_many_archive_queries(self.limits, len(total.archive_queries))
        self._check_totals(total)

    def _check_totals(self, figures: _Figures) -> None:
        limits = self.limits
        if figures.aliases > limits.max_aliases:
            raise DocumentRefused(
                "TOO_MANY_ALIASES",
                f"The query uses more than {limits.max_aliases} aliases.",
            )
        if figures.cost > limits.max_cost:
            raise DocumentRefused(
                "QUERY_TOO_COSTLY",
                f"The query would cost more than {limits.max_cost} "
                "(each field counts once per item of the lists it is inside; a list counts "
                f"as its pageSize/first/limit argument, else {limits.default_list_size} items).",
            )
        if len(figures.archive_queries) > limits.max_archive_queries:
            raise _too_many_archive_queries(limits, len(figures.archive_queries))

    def _saturate(self, value: int) -> int:
        # just above the largest limit: figures of a fragment DAG stay small integers
        return min(value, self.limits.max_cost + self.limits.max_aliases + 1)


def _too_deep(limits: DocumentLimits) -> DocumentRefused:
    return DocumentRefused(
        "QUERY_TOO_DEEP", f"The query is nested deeper than {limits.max_depth} levels."
    )


def _too_many_archive_queries(limits: DocumentLimits, count: int) -> DocumentRefused:
    return DocumentRefused(
        "TOO_MANY_ARCHIVE_QUERIES",
        f"The query asks archives {count} distinct questions; at most "
        f"{limits.max_archive_queries} are accepted in one request.",
    )


def _is_list(field_type: GraphQLType | None) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def _arguments_key(node: FieldNode) -> str:
    if not node.arguments:
        return "()"
    return "(" + ",".join(sorted(print_ast(a) for a in node.arguments)) + ")"
