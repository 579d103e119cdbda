"""Who is asking: the signed-in user, or the one local user of single-user mode."""

from __future__ import annotations

import strawberry

from esap_graphql.resolvers import viewer as resolve
from esap_graphql.schema.context import Info


@strawberry.type(description="Who is asking.")
class Viewer:
    id: str = strawberry.field(description="Stable user id (issuer and subject of the token).")
    name: str | None = strawberry.field(description="Display name, from the token.")
    email: str | None = strawberry.field(description="E-mail address, from the token.")
    single_user: bool = strawberry.field(
        description="True when sign-in is off and every caller is the one local user."
    )


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The caller: the signed-in user, or the local user.")
    def me(self, info: Info) -> Viewer:
        user, single = resolve.viewer(info.context)
        return Viewer(id=user.id, name=user.name, email=user.email, single_user=single)
