/**
 * A page of result records: basket checkbox, title, collection, RA, Dec, field of view, product
 * type, calibration level, size, download, preview and the full native record. Pages of more
 * than VIRTUALIZE_AFTER rows render only the rows in view (a 1,000-row page stays fast).
 */
import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { graphql } from "../../gql";
import type { ResultRowFragment } from "../../gql/graphql";
import { formatBytes, formatDegrees } from "../../format/numbers";

graphql(`
  fragment ResultRow on Record {
    id
    title
    target
    ra
    dec
    fov
    dataproductType
    calibrationLevel
    collection
    sizeBytes
    accessUrl
    accessFormat
    thumbnailUrl
  }
`);

export type ResultRow = ResultRowFragment;

const VIRTUALIZE_AFTER = 100;
const ROW_HEIGHT = 41;
const COLUMNS = 12;

interface ResultsTableProps {
  rows: readonly ResultRow[];
  caption: string;
  /** Number of the first row in the whole result, from 1. */
  firstRowNumber: number;
  totalRows: number;
  selected: ReadonlySet<string>;
  onToggle: (id: string, checked: boolean) => void;
  onToggleAll: (checked: boolean) => void;
  onShowRecord: (index: number) => void;
  onShowPreview: (row: ResultRow) => void;
}

function label(row: ResultRow): string {
  return row.title ?? row.id;
}

function Row({
  row,
  index,
  rowNumber,
  selected,
  onToggle,
  onShowRecord,
  onShowPreview,
}: {
  row: ResultRow;
  index: number;
  rowNumber: number;
  selected: boolean;
  onToggle: ResultsTableProps["onToggle"];
  onShowRecord: ResultsTableProps["onShowRecord"];
  onShowPreview: ResultsTableProps["onShowPreview"];
}) {
  const name = label(row);
  return (
    <tr aria-rowindex={rowNumber + 1} className={selected ? "selected" : undefined} data-record-id={row.id}>
      <td className="cell-check">
        <input
          type="checkbox"
          checked={selected}
          onChange={(e) => onToggle(row.id, e.target.checked)}
          aria-label={`Select ${name}`}
        />
      </td>
      <th scope="row" className="cell-title" title={row.target ? `${name} (target: ${row.target})` : name}>
        {name}
      </th>
      <td>{row.collection ?? ""}</td>
      <td className="num">{formatDegrees(row.ra)}</td>
      <td className="num">{formatDegrees(row.dec)}</td>
      <td className="num">{formatDegrees(row.fov, 3)}</td>
      <td>{row.dataproductType ?? ""}</td>
      <td className="num">{row.calibrationLevel ?? ""}</td>
      <td className="num">{formatBytes(row.sizeBytes)}</td>
      <td>
        {row.accessUrl ? (
          <a href={row.accessUrl} rel="noopener noreferrer" target="_blank" title={row.accessFormat ?? undefined}>
            Download<span className="visually-hidden"> {name}</span>
          </a>
        ) : (
          ""
        )}
      </td>
      <td>
        {row.thumbnailUrl ? (
          <button type="button" className="button-small" onClick={() => onShowPreview(row)}>
            Preview<span className="visually-hidden"> of {name}</span>
          </button>
        ) : (
          ""
        )}
      </td>
      <td>
        <button type="button" className="button-small" onClick={() => onShowRecord(index)}>
          Record<span className="visually-hidden"> of {name}</span>
        </button>
      </td>
    </tr>
  );
}

function SelectAll({ rows, selected, onToggleAll }: Pick<ResultsTableProps, "rows" | "selected" | "onToggleAll">) {
  const ref = useRef<HTMLInputElement>(null);
  const count = rows.filter((r) => selected.has(r.id)).length;
  const all = rows.length > 0 && count === rows.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      checked={all}
      onChange={(e) => onToggleAll(e.target.checked)}
      aria-label="Select every record of this page"
    />
  );
}

export function ResultsTable(props: ResultsTableProps) {
  const { rows, caption, firstRowNumber, totalRows, selected, onToggle, onToggleAll, onShowRecord, onShowPreview } =
    props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = rows.length > VIRTUALIZE_AFTER;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    enabled: virtual,
    // rows for the first paint, before the scroll area is measured
    initialRect: { width: 0, height: 720 },
  });
  const items = virtual ? virtualizer.getVirtualItems() : null;
  const padTop = items && items.length > 0 ? (items[0]?.start ?? 0) : 0;
  const padBottom = items && items.length > 0 ? virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0) : 0;
  const visible = items ? items.map((item) => item.index) : rows.map((_, index) => index);

  return (
    <div
      ref={scrollRef}
      className={virtual ? "table-wrap table-scroll" : "table-wrap"}
      tabIndex={virtual ? 0 : undefined}
      role={virtual ? "region" : undefined}
      aria-label={virtual ? caption : undefined}
    >
      <table className="table results-table" aria-rowcount={totalRows + 1} data-testid="results-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" className="cell-check">
              <SelectAll rows={rows} selected={selected} onToggleAll={onToggleAll} />
            </th>
            <th scope="col">Title</th>
            <th scope="col">Collection</th>
            <th scope="col" className="num">
              RA <span className="unit">(deg)</span>
            </th>
            <th scope="col" className="num">
              Dec <span className="unit">(deg)</span>
            </th>
            <th scope="col" className="num">
              FoV <span className="unit">(deg)</span>
            </th>
            <th scope="col">Product type</th>
            <th scope="col" className="num">
              <abbr title="Calibration level">Calib.</abbr>
            </th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Data</th>
            <th scope="col">Preview</th>
            <th scope="col">
              <span className="visually-hidden">Native record</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={COLUMNS} style={{ height: padTop }} />
            </tr>
          )}
          {visible.map((index) => {
            const row = rows[index];
            if (!row) return null;
            return (
              <Row
                key={`${index}:${row.id}`}
                row={row}
                index={index}
                rowNumber={firstRowNumber + index}
                selected={selected.has(row.id)}
                onToggle={onToggle}
                onShowRecord={onShowRecord}
                onShowPreview={onShowPreview}
              />
            );
          })}
          {padBottom > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={COLUMNS} style={{ height: padBottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
