"""Registry: harvested VO registry records, their word index, and each registry's harvest.

Revision ID: 0004_registry
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_registry"
down_revision = "0001"
branch_labels = ("registry",)
depends_on = None


def upgrade() -> None:
    """Create ``registry_resource``, its word index ``registry_word``, ``registry_harvest``."""
    op.create_table(
        "registry_resource",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("ivoid", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("short_name", sa.Text(), nullable=True),
        sa.Column("resource_type", sa.Text(), nullable=True),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("wavebands", sa.Text(), nullable=False),
        sa.Column("service_types", sa.Text(), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("datestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    op.create_index("ix_registry_resource_source", "registry_resource", ["source"])
    op.create_index("ix_registry_resource_title", "registry_resource", ["title", "key"])
    # byte order on PostgreSQL too, so that a prefix is a range of the index
    word_type = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    op.create_table(
        "registry_word",
        sa.Column("word", word_type, primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
    )
    op.create_index("ix_registry_word_key", "registry_word", ["key", "word"])
    op.create_table(
        "registry_harvest",
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("harvested_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_harvest", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_index("ix_registry_word_key", table_name="registry_word")
    op.drop_table("registry_word")
    op.drop_index("ix_registry_resource_title", table_name="registry_resource")
    op.drop_table("registry_harvest")
    op.drop_index("ix_registry_resource_source", table_name="registry_resource")
    op.drop_table("registry_resource")
