"""What a scoped token allows: one basket of one user, read and perhaps write, until it expires.

Scoped tokens are what the gateway hands to analysis services (a notebook server, a batch
job) instead of the user's own sign-in token.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ScopeAction(enum.Enum):
    """What a scoped token may do with its basket."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenScope:
    """The limits a scoped token carries."""

    basket: str
    actions: frozenset[ScopeAction]
    expires_at: datetime

    def allows(self, action: ScopeAction) -> bool:
        """True when the token may do this with its basket."""
        return action in self.actions
