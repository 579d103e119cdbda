"""Parsing and validation of GraphQL documents, bounded and cached.

One schema extension replaces strawberry's parser cache, validation cache, token limiter
and depth limiter: it parses with graphql-core's token limit, checks the cost limits
(``document_limits``) in one linear pass, then runs the standard validation rules, and keeps
the outcome per document text in a cache bounded in bytes. Refusals are cached as well, so a
repeated abusive document costs a dictionary look-up.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from esap_graphql.config import Settings
from esap_graphql.schema.document_limits import DocumentLimits, check_document

#: Parsed and validated documents take about this many bytes of memory per character of
#: their text (tracemalloc, over the web interface's 23 operations and the introspection
#: query: 150; the Token and Location objects of every token dominate).
AST_BYTES_PER_CHARACTER = 150


@dataclass
class _Outcome:
    """What a document text came to: its parsed document or the error refusing it."""

    document: DocumentNode | None
    error: GraphQLError | None
    validation_errors: list[GraphQLError] | None = None
    weight: int = 0


@dataclass
class DocumentCache:
    """Least-recently-used outcomes per document text, bounded by their estimated bytes."""

    max_bytes: int
    max_document_bytes: int
    _entries: OrderedDict[str, _Outcome] = field(default_factory=OrderedDict)
    _bytes: int = 0

    @property
    def size_bytes(self) -> int:
        """Estimated bytes held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str) -> _Outcome | None:
        outcome = self._entries.get(text)
        if outcome is not None:
            self._entries.move_to_end(text)
        return outcome

    def put(self, text: str, outcome: _Outcome) -> None:
        outcome.weight = len(text) * AST_BYTES_PER_CHARACTER
        if len(text) > self.max_document_bytes or outcome.weight > self.max_bytes:
            return  # big documents are parsed every time rather than crowding out the rest
        previous = self._entries.pop(text, None)
        if previous is not None:
            self._bytes -= previous.weight
        self._entries[text] = outcome
        self._bytes += outcome.weight
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.weight


@dataclass(frozen=True)
class GuardSettings:
    """What the guard enforces, from the process settings."""

    limits: DocumentLimits = field(default_factory=DocumentLimits)
    max_tokens: int = 5_000
    introspection: bool = True
    suggestions: bool = True
    cache_bytes: int = 32 * 1024**2
    cache_max_document_bytes: int = 64 * 1024


def guard_settings(settings: Settings) -> GuardSettings:
    """The guard's settings from the process settings."""
    return GuardSettings(
        limits=DocumentLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_cost=settings.max_query_cost,
            max_archive_queries=settings.max_archive_queries,
            default_list_size=settings.query_list_size,
            max_list_size=settings.max_page_size,
            max_input_list_length=settings.max_input_list_length,
        ),
        max_tokens=settings.max_query_tokens,
        introspection=settings.graphql_introspection,
        suggestions=settings.graphql_suggestions,
        cache_bytes=settings.document_cache_bytes,
        cache_max_document_bytes=settings.document_cache_max_document_bytes,
    )


def document_guard(
    settings: GuardSettings, extra_rules: Sequence[type[ASTValidationRule]] = ()
) -> Callable[[], SchemaExtension]:
    """A factory of the extension, with one cache shared by every request to the schema."""
    cache = DocumentCache(settings.cache_bytes, settings.cache_max_document_bytes)
    rules = tuple(extra_rules)

    def build() -> SchemaExtension:
        return DocumentGuard(settings, cache, rules)

    build.cache = cache  # type: ignore[attr-defined]
    return build


class DocumentGuard(SchemaExtension):
    """Parses, limits and validates each operation's document (cached per text)."""

    def __init__(
        self,
        settings: GuardSettings,
        cache: DocumentCache,
        extra_rules: tuple[type[ASTValidationRule], ...],
    ) -> None:
        super().__init__()
        self.settings = settings
        self.cache = cache
        self.extra_rules = extra_rules
        self.outcome: _Outcome | None = None

    def on_parse(self) -> Iterator[None]:
        text = self.execution_context.query
        if text:
            schema = self.execution_context.schema._schema
            outcome = self.cache.get(text)
            if outcome is None:
                outcome = _parse_and_limit(schema, text, self.settings)
                self.cache.put(text, outcome)
            self.outcome = outcome
            # a refused document is answered like a document that fails validation: a
            # stand-in of an allowed kind lets every transport (HTTP, websocket) report the
            # refusal as the operation's error (raising here would end a websocket
            # operation without any answer)
            self.execution_context.graphql_document = outcome.document or _stand_in(
                self.execution_context.allowed_operations, self.execution_context.operation_name
            )
        yield

    def on_validate(self) -> Iterator[None]:
        outcome = self.outcome
        if outcome is not None and outcome.error is not None:
            self.execution_context.pre_execution_errors = [outcome.error]
        elif outcome is not None and outcome.document is not None:
            if outcome.validation_errors is None:
                rules = (*self.execution_context.validation_rules, *self.extra_rules)
                outcome.validation_errors = validate(
                    self.execution_context.schema._schema,
                    outcome.document,
                    rules,
                    hide_suggestions=not self.settings.suggestions,
                )
            self.execution_context.pre_execution_errors = list(outcome.validation_errors)
        yield


def _stand_in(allowed: Iterable[StrawberryOperationType], name: str | None) -> DocumentNode:
    """``{ __typename }`` as an operation of an allowed kind, named as the request asks."""
    kinds = [OperationType(kind.value) for kind in allowed]
    kind = OperationType.QUERY if OperationType.QUERY in kinds or not kinds else kinds[0]
    return DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=kind,
                name=NameNode(value=name) if name else None,
                variable_definitions=(),
                directives=(),
                selection_set=SelectionSetNode(
                    selections=(
                        FieldNode(
                            name=NameNode(value="__typename"),
                            arguments=(),
                            directives=(),
                        ),
                    )
                ),
            ),
        )
    )


# GraphQL's lexical tokens, enough to count them (comments are not tokens).
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n\r]*)
    |(?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
    |(?P<string>"(?:\\.|[^"\\\n\r])*")
    |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
    |(?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    |(?P<spread>\.\.\.)
    |(?P<punctuator>[!$&()\[\]{}:=@|])""",
    re.VERBOSE,
)


# Lists and input objects nested deeper than this are refused (no input type nests so deep).
_MAX_VALUE_NESTING = 32


def prescan(text: str, settings: GuardSettings) -> GraphQLError | None:
    """Tokens, aliases and nesting counted on the text, before graphql-core's parser spends
    about 5 ms per 1,000 tokens (and recurses once per level of nesting).

    Outside parentheses (arguments, variable definitions), ``name :`` is an alias and braces
    are selection sets. Selection sets may be nested twice as deep as fields (inline
    fragments), so only absurd nesting is refused here; the exact limit comes after parsing.
    """
    limits = settings.limits
    tokens = aliases = braces = parentheses = values = 0
    previous = ""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        tokens += 1
        if tokens > settings.max_tokens:
            return _error(
                f"The document has more than {settings.max_tokens} tokens.", "QUERY_TOO_LARGE"
            )
        value = match.group()
        if kind == "punctuator" and value in "(){}:[]":
            if value == "(":
                parentheses += 1
            elif value == ")":
                parentheses -= 1
            elif parentheses > 0 or value in "[]":
                # values: lists and input objects, which graphql-core reads recursively
                values += 1 if value in "[{" else -1 if value in "]}" else 0
                if values > _MAX_VALUE_NESTING:
                    return _error(
                        f"Values in the document are nested deeper than {_MAX_VALUE_NESTING} "
                        "levels.",
                        "QUERY_TOO_DEEP",
                    )
            else:
                if value == "{":
                    braces += 1
                    if braces > 2 * limits.max_depth + 2:
                        return _too_deep(limits)
                elif value == "}":
                    braces -= 1
                elif previous == "name":
                    aliases += 1
                    if aliases > limits.max_aliases:
                        return _error(
                            f"The query uses more than {limits.max_aliases} aliases.",
                            "TOO_MANY_ALIASES",
                        )
        previous = kind or ""
    return None


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _too_deep(limits: DocumentLimits) -> GraphQLError:
    return _error(f"The query is nested deeper than {limits.max_depth} levels.", "QUERY_TOO_DEEP")


def _parse_and_limit(schema: GraphQLSchema, text: str, settings: GuardSettings) -> _Outcome:
    early = prescan(text, settings)
    if early is not None:
        return _Outcome(None, early)
    try:
        document = parse(text, max_tokens=settings.max_tokens)
    except GraphQLError as error:
        if "tokens. Parsing aborted" in error.message:
            error = _error(
                f"The document has more than {settings.max_tokens} tokens.", "QUERY_TOO_LARGE"
            )
        return _Outcome(None, error)
    except RecursionError:
        return _Outcome(
            None, _error("The document is nested too deep to be read.", "QUERY_TOO_DEEP")
        )
    refused = check_document(schema, document, settings.limits)
    if refused is not None:
        return _Outcome(None, refused.graphql_error())
    return _Outcome(document, None)
