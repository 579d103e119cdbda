"""Table and column metadata (VOSI tables, and the columns of a query answer)."""

from __future__ import annotations

import strawberry

from esap_graphql.domain import records as domain_records


@strawberry.type(description="A column of an archive table (VOSI metadata).")
class Column:
    name: str = strawberry.field(description="Column name, as used in ADQL.")
    description: str | None = strawberry.field(description="What the column holds.")
    unit: str | None = strawberry.field(description="Unit of the values (VOUnit).")
    ucd: str | None = strawberry.field(description="IVOA Unified Content Descriptor.")
    datatype: str | None = strawberry.field(description="VOTable datatype, e.g. double, char.")

    @classmethod
    def from_domain(cls, column: domain_records.ColumnInfo) -> Column:
        return cls(
            name=column.name,
            description=column.description,
            unit=column.unit,
            ucd=column.ucd,
            datatype=column.datatype,
        )


@strawberry.type(description="A table of a dataset's service, with its columns.")
class Table:
    name: str = strawberry.field(description="Qualified table name, e.g. ivoa.obscore.")
    description: str | None = strawberry.field(description="What the table holds.")
    columns: list[Column] = strawberry.field(description="The table's columns.")

    @classmethod
    def from_domain(cls, table: domain_records.TableInfo) -> Table:
        return cls(
            name=table.name,
            description=table.description,
            columns=[Column.from_domain(c) for c in table.columns],
        )


@strawberry.type(description="A service the dataset's archive offers (VOSI capability).")
class Capability:
    standard_id: str = strawberry.field(
        description="IVOA standard identifier, e.g. ivo://ivoa.net/std/TAP."
    )
    access_url: str | None = strawberry.field(description="Where the service answers.")
    role: str | None = strawberry.field(description="Interface role; std for the standard one.")

    @classmethod
    def from_domain(cls, capability: domain_records.Capability) -> Capability:
        return cls(
            standard_id=capability.standard_id,
            access_url=capability.access_url,
            role=capability.role,
        )
