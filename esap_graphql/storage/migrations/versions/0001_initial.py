"""Initial revision: the common root every feature branch (basket, jobs) grows from.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: features add their tables in revisions of their own."""


def downgrade() -> None:
    """Nothing to undo."""
