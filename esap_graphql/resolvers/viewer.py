"""The caller."""

from __future__ import annotations

from esap_graphql.domain.users import User
from esap_graphql.resolvers.context import RequestContext


def viewer(ctx: RequestContext) -> tuple[User, bool]:
    """The caller, and whether the gateway runs in single-user mode."""
    return ctx.user, not ctx.process.auth.required
