"""GraphQL over HTTP and WebSocket at /graphql (GraphiQL on a plain GET), on strawberry's ASGI
app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from esap_graphql.context import ProcessContext
from esap_graphql.domain.users import AuthenticationError, IdentityProviderUnavailable, User
from esap_graphql.json_encoding import dumps, dumps_str
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.schema import build_schema
from esap_graphql.schema.document_guard import guard_settings
from esap_graphql.services.loaders import Loaders
from esap_graphql.telemetry import tracing
from esap_graphql.telemetry.metrics import NO_METRICS
from esap_graphql.web.authentication import caller, identify, require_user
from esap_graphql.web.graphiql import graphiql_page
from esap_graphql.web.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    InputLimits,
    RequestRefused,
    bounded_receive,
    check_input,
    check_structure,
    media_type,
    parse_json,
    request_fields,
)
from esap_graphql.web.operation_telemetry import OperationTelemetry

logger = logging.getLogger(__name__)

# The user of a request that can run no operation: a websocket until its connection_init
# is checked (on_ws_connect replaces it or closes the connection), or the GraphiQL page.
_NOT_YET_AUTHENTICATED = User(id="", name="not yet authenticated")

# Keys of websocket connection_init payloads that may carry the token.
_WS_TOKEN_KEYS = ("Authorization", "authorization", "token", "accessToken")

# GraphQL error codes of HTTP statuses strawberry itself refuses with.
_STATUS_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """strawberry's ASGI app, with our typed context built per request."""

    def __init__(
        self, process: ProcessContext, *, build: Callable[..., Schema] = build_schema
    ) -> None:
        settings = process.settings
        self.input_limits = InputLimits(
            max_request_bytes=settings.max_request_bytes,
            max_list_length=settings.max_input_list_length,
            max_nodes=settings.max_input_nodes,
        )
        extensions: list[Callable[[], SchemaExtension]] = []
        if process.metrics is not NO_METRICS or tracing.enabled():
            extensions.append(
                lambda: OperationTelemetry(metrics=process.metrics, traced=tracing.enabled())
            )
        super().__init__(
            build(guard=guard_settings(settings), extensions=extensions),
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.process = process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Over HTTP every operation needs a caller (the GraphiQL page itself runs none); a
        # websocket may still authenticate in its connection_init.
        if scope["type"] != "http" or _is_ide_page(scope):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, bounded_receive(scope, receive, self.input_limits))
        user = require_user(request)
        if isinstance(user, Response):
            await user(scope, receive, send)
            return
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = self._refusal(request, refused)
        await response(scope, receive, send)

    def _refusal(self, request: Request, refused: HTTPException) -> Response:
        """A request refused before execution: its status, with a GraphQL-style body."""
        code = (
            refused.code
            if isinstance(refused, RequestRefused)
            else _STATUS_CODES.get(refused.status_code, "BAD_REQUEST")
        )
        body = {"errors": [{"message": refused.reason, "extensions": {"code": code}}]}
        response = Response(
            dumps(body),
            status_code=refused.status_code,
            media_type=media_type(request.headers.get("accept")),
        )
        if refused.status_code == 405:
            response.headers["allow"] = "GET, POST"
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # the media type the answer will have, chosen once from the request's Accept
        sub_response.media_type = media_type(request.headers.get("accept"))
        return sub_response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """query, variables, operationName, extensions: bounded, strict, checked."""
        limits = self.input_limits
        if request.method == "GET":
            params: dict[str, object] = {}
            for key, value in request.query_params.items():
                if isinstance(value, str):
                    params[key] = value
            if sum(len(str(v)) for v in params.values()) > limits.max_request_bytes:
                raise RequestRefused(413, "The query string is too long.", "REQUEST_TOO_LARGE")
            for key in ("variables", "extensions"):
                text = params.pop(key, None)
                if isinstance(text, str) and text:
                    encoded = text.encode("utf-8", "surrogatepass")
                    check_structure(encoded, limits)
                    params[key] = parse_json(encoded, f"`{key}` parameter")
            data: object = params
        else:
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise RequestRefused(
                    415,
                    "A GraphQL POST must have Content-Type: application/json.",
                    "UNSUPPORTED_MEDIA_TYPE",
                )
            body = await request.get_body()  # bounded by bounded_receive
            if not body.strip():
                raise RequestRefused(400, "The request body is empty.", "BAD_REQUEST")
            check_structure(body, limits)
            data = parse_json(body)
        query, variables, operation_name, extensions = request_fields(data)
        if variables:
            check_input(variables, limits)
        if extensions:
            check_input(extensions, limits, "extensions")
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=operation_name,
            extensions=extensions,
            protocol="http",
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation; a subscription or a mutation over GET is told what to do instead."""
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as refused:
            if refused.operation_type == OperationType.SUBSCRIPTION:
                raise RequestRefused(
                    400,
                    "Subscriptions are not served over HTTP: open a websocket to /graphql "
                    "with the graphql-transport-ws protocol (graphql-ws clients do).",
                    "SUBSCRIPTION_NEEDS_WEBSOCKET",
                ) from None
            raise RequestRefused(
                405, "Mutations must be sent with POST.", "METHOD_NOT_ALLOWED"
            ) from None

    def encode_json(self, data: object) -> str:
        # text, not bytes: strawberry sends bytes over a websocket as binary frames,
        # which graphql-transport-ws clients do not read
        return dumps_str(data)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The JSON answer to an HTTP request, encoded once, straight to bytes.

        With application/graphql-response+json, a request error (nothing executed: parse,
        validation, limits, variables) has no ``data`` entry and status 400, as the
        GraphQL-over-HTTP spec says; application/json answers 200 as before."""
        kind = sub_response.media_type or "application/json"
        status = 200
        if (
            kind == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and _is_request_error(response_data)
        ):
            response_data = {k: v for k, v in response_data.items() if k != "data"}  # type: ignore[assignment]
            status = 400
        response = Response(dumps(response_data), status_code=status, media_type=kind)
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page, with its assets served by the app rather than a CDN."""
        return HTMLResponse(graphiql_page(request.scope.get("root_path", "")))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> RequestContext:
        return RequestContext(
            process=self.process,
            request=request,
            response=response if isinstance(response, Response) else None,
            user=caller(request) or _NOT_YET_AUTHENTICATED,
            loaders=Loaders(self.process.queries),
        )

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        """Authenticate a websocket from its connection_init payload (or its upgrade header)."""
        params = context.connection_params or {}
        credential = next(
            (str(params[k]) for k in _WS_TOKEN_KEYS if isinstance(params.get(k), str)), None
        )
        if credential is None and context.user is not _NOT_YET_AUTHENTICATED:
            return None  # authenticated from the upgrade request's header
        try:
            context.user = await identify(self.process.auth, credential)
        except (AuthenticationError, IdentityProviderUnavailable) as exc:
            raise ConnectionRejectionError({"error": exc.code, "message": exc.message}) from None
        return None


def _is_request_error(response: GraphQLHTTPResponse) -> bool:
    """Errors before execution: no data, and no error belongs to a field (a path)."""
    errors: list[dict[str, object]] = list(response.get("errors") or [])  # type: ignore[arg-type]
    return response.get("data") is None and bool(errors) and all(not e.get("path") for e in errors)


def _is_ide_page(scope: Any) -> bool:
    """GET /graphql without a query: strawberry answers with the GraphiQL page, no data."""
    if scope["method"] != "GET":
        return False
    return "query" not in Request(scope).query_params
