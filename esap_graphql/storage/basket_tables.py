"""SQL tables of the basket store (revision 0002_baskets); rows never leave ``storage``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class BasketRow(SQLModel, table=True):
    """One named basket of one user."""

    __tablename__ = "basket"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_basket_user_name"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT)
    user_id: str = Field(sa_type=sa.Text(), nullable=False)
    name: str = Field(sa_type=sa.String(64), nullable=False)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)


class BasketItemRow(SQLModel, table=True):
    """One record reference in a basket."""

    __tablename__ = "basket_item"
    __table_args__ = (
        sa.UniqueConstraint("basket_id", "dataset_id", "record_id", name="uq_basket_item_record"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT)
    basket_id: int = Field(
        sa_column=sa.Column(_BIGINT, sa.ForeignKey("basket.id", ondelete="CASCADE"), nullable=False)
    )
    archive_id: str = Field(sa_type=sa.Text(), nullable=False)
    dataset_id: str = Field(sa_type=sa.Text(), nullable=False)
    record_id: str = Field(sa_type=sa.Text(), nullable=False)
    title: str | None = Field(default=None, sa_type=sa.Text())
    access_url: str | None = Field(default=None, sa_type=sa.Text())
    access_format: str | None = Field(default=None, sa_type=sa.Text())
    size_bytes: int | None = Field(default=None, sa_type=sa.BigInteger())
    ra: float | None = Field(default=None, sa_type=sa.Float())
    dec: float | None = Field(default=None, sa_type=sa.Float())
    record: str = Field(sa_type=sa.Text(), nullable=False)
    added_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
