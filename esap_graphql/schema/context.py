"""The typed ``Info`` every resolver receives."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from esap_graphql.resolvers.context import RequestContext

Info: TypeAlias = strawberry.Info[RequestContext, None]
