/**
 * One dataset's answer: counts and status, the native query for the expert, the basket
 * toolbar, SAMP, the records table with paging, and the record and preview dialogs.
 */
import { useEffect, useRef, useState } from "react";
import { graphql } from "../../gql";
import type { QueryOutcomeFragment, QueryParamsInput } from "../../gql/graphql";
import { CopyButton } from "../../components/CopyButton";
import { Notice } from "../../components/Status";
import { markAfterPaint } from "../../format/marks";
import { formatCount, formatMs, plural } from "../../format/numbers";
import { AddToBasketBar } from "../basket/AddToBasketBar";
import { SendToSamp } from "../../samp/SendToSamp";
import { ArchiveError } from "./ArchiveError";
import { Pager } from "./Pager";
import { PreviewDialog } from "./PreviewDialog";
import { RecordDialog, type RecordRef } from "./RecordDialog";
import { ResultsTable, type ResultRow } from "./ResultsTable";
import { useSelection } from "./useSelection";

graphql(`
  fragment QueryOutcome on QueryResult {
    datasetId
    status
    totalCount
    page
    pageSize
    hasNextPage
    nativeQuery
    elapsedMs
    fromCache
    rows {
      ...ResultRow
    }
    error {
      ...ArchiveError
    }
  }
`);

interface ResultsViewProps {
  result: QueryOutcomeFragment;
  datasetName: string;
  params: QueryParamsInput;
  /** Absolute URL of this page as a VOTable (for SAMP). */
  votableUrl: string;
  onPage?: (page: number) => void;
  onPageSize?: (size: number) => void;
  /** Set the benchmark's performance marks (the query page). */
  measure?: boolean;
}

const STATUS_TEXT: Record<string, string> = {
  OK: "complete",
  OVERFLOW: "record limit reached",
  ERROR: "failed",
  TIMEOUT: "timed out",
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-status-${status.toLowerCase()}`}>{STATUS_TEXT[status] ?? status}</span>;
}

export function ResultsView({
  result,
  datasetName,
  params,
  votableUrl,
  onPage,
  onPageSize,
  measure = false,
}: ResultsViewProps) {
  const rows = result.rows;
  const { selected, toggle, toggleAll, clear } = useSelection(rows);
  const [record, setRecord] = useState<RecordRef | null>(null);
  const [preview, setPreview] = useState<ResultRow | null>(null);
  const firstRow = (result.page - 1) * result.pageSize + 1;
  const total = result.totalCount ?? 0;

  const marked = useRef<unknown>(null);
  if (measure && marked.current !== result) {
    marked.current = result;
    performance.mark("esap:results:data", { detail: { rows: rows.length } });
  }
  useEffect(() => {
    if (measure) markAfterPaint("esap:results:painted", { rows: rows.length });
  }, [measure, result, rows.length]);

  if (result.error) return <ArchiveError error={result.error} dataset={datasetName} />;

  const lastRow = firstRow + rows.length - 1;
  return (
    <div className="results" data-testid="results">
      <p className="results-summary" data-testid="results-summary">
        <strong>{plural(total, "record")}</strong> <StatusBadge status={result.status} />
        {rows.length > 0 && (
          <>
            {" "}
            · showing {formatCount(firstRow)}–{formatCount(lastRow)}
          </>
        )}{" "}
        · {formatMs(result.elapsedMs)}
        {result.fromCache ? " (from the gateway's cache)" : ""}
      </p>
      {result.status === "OVERFLOW" && (
        <Notice kind="warning">
          The archive stopped at its record limit: more records match than these {formatCount(total)}. Narrow the search
          (a smaller radius, a collection) to see them all.
        </Notice>
      )}
      {result.nativeQuery && (
        <details className="native-query">
          <summary>Native query (for experts)</summary>
          <pre>
            <code>{result.nativeQuery}</code>
          </pre>
          <CopyButton text={result.nativeQuery} label="Copy the query" />
        </details>
      )}
      {rows.length === 0 ? (
        <p>No records match this search.</p>
      ) : (
        <>
          <div className="results-actions">
            <AddToBasketBar
              source={{ datasetId: result.datasetId, params, page: result.page, pageSize: result.pageSize }}
              rows={rows}
              selected={selected}
              onAdded={clear}
            />
            <SendToSamp url={votableUrl} name={`${datasetName}, page ${result.page}`} />
          </div>
          <ResultsTable
            rows={rows}
            caption={`${datasetName}: records ${firstRow} to ${lastRow} of ${total}`}
            firstRowNumber={firstRow}
            totalRows={total}
            selected={selected}
            onToggle={toggle}
            onToggleAll={toggleAll}
            onShowRecord={(index) => {
              const row = rows[index];
              if (row) {
                setRecord({
                  datasetId: result.datasetId,
                  params,
                  position: firstRow + index,
                  recordId: row.id,
                  title: row.title ?? row.id,
                });
              }
            }}
            onShowPreview={setPreview}
          />
          {onPage && onPageSize && (
            <Pager
              page={result.page}
              pageSize={result.pageSize}
              totalCount={total}
              hasNextPage={result.hasNextPage}
              onPage={onPage}
              onPageSize={onPageSize}
              label={`Pages of ${datasetName}`}
            />
          )}
        </>
      )}
      {record && <RecordDialog record={record} onClose={() => setRecord(null)} />}
      {preview && <PreviewDialog row={preview} onClose={() => setPreview(null)} />}
    </div>
  );
}
