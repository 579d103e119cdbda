/** One dataset's answer in a multi-query: status, count, time, error; its records on demand. */
import { useId, useState } from "react";
import { Link } from "react-router";
import type { QueryParamsInput } from "../../gql/graphql";
import { formatMs, plural } from "../../format/numbers";
import { ResultsView, StatusBadge } from "../query/ResultsView";
import { votableUrl } from "../query/QueryPage";
import { searchToUrl, type FormValues } from "../query/searchState";
import type { StreamedResult } from "./useMultiQueryStream";

interface StreamedResultItemProps {
  result: StreamedResult;
  arrival: number;
  values: FormValues;
  params: QueryParamsInput;
}

export function StreamedResultItem({ result, arrival, values, params }: StreamedResultItemProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const name = result.dataset?.name ?? result.datasetId;
  const rows = result.rows.length;
  const queryLink = `/query/${encodeURIComponent(result.datasetId)}?${searchToUrl(values, 1, result.pageSize).toString()}`;
  return (
    <li className="stream-item" data-dataset={result.datasetId} data-status={result.status} data-arrival={arrival}>
      <div className="stream-head">
        <h3 className="stream-title">
          {name}
          {result.dataset && <span className="muted small"> · {result.dataset.archive.name}</span>}
        </h3>
        <StatusBadge status={result.status} />
        <span className="stream-count" data-testid="stream-count">
          {result.error ? "no records" : plural(result.totalCount ?? 0, "record")}
        </span>
        <span className="muted">{formatMs(result.elapsedMs)}</span>
        {!result.error && rows > 0 && (
          <button
            type="button"
            className="button-small"
            aria-expanded={open}
            aria-controls={`${id}-records`}
            onClick={() => setOpen(!open)}
          >
            {open ? "Hide records" : `Show ${plural(rows, "record")}`}
            <span className="visually-hidden"> of {name}</span>
          </button>
        )}
        <Link to={queryLink} className="small">
          Open in the query page<span className="visually-hidden">: {name}</span>
        </Link>
      </div>
      {result.error && <p className="field-error stream-error">{result.error.message}</p>}
      <div id={`${id}-records`} hidden={!open}>
        {open && (
          <ResultsView
            result={result}
            datasetName={name}
            params={params}
            votableUrl={votableUrl(result.datasetId, searchToUrl(values, result.page, result.pageSize))}
          />
        )}
      </div>
    </li>
  );
}
