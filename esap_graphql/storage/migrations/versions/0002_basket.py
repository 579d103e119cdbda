"""Baskets: one row per named basket of a user, one row per record reference in it.

Revision ID: 0002_basket
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_basket"
down_revision = "0001"
branch_labels = ("basket",)
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``basket`` and ``basket_item``."""
    op.create_table(
        "basket",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_basket_user_name"),
    )
    op.create_table(
        "basket_item",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "basket_id",
            _BIGINT,
            sa.ForeignKey("basket.id", ondelete="CASCADE", name="fk_basket_item_basket"),
            nullable=False,
        ),
        sa.Column("archive_id", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("access_url", sa.Text(), nullable=True),
        sa.Column("access_format", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("ra", sa.Float(), nullable=True),
        sa.Column("dec", sa.Float(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        # Also the index that reads a basket: its leading column is basket_id.
        sa.UniqueConstraint("basket_id", "dataset_id", "record_id", name="uq_basket_item_record"),
    )


def downgrade() -> None:
    """Drop the basket tables."""
    op.drop_table("basket_item")
    op.drop_table("basket")
