/**
 * One search over many datasets. Results stream in dataset by dataset as they arrive
 * (multiQueryStream over the websocket); the URL holds the search:
 * /multi?datasets=a,b&ra=..&dec=..&radius=..&page=1&pageSize=20.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PageHeading } from "../../components/PageHeading";
import { Loading, Notice, RequestError, errorText } from "../../components/Status";
import { useAnnounce } from "../../components/Announcer";
import { formatCount, formatMs, plural } from "../../format/numbers";
import { QueryForm } from "../query/QueryForm";
import {
  initialValues,
  searchFromUrl,
  searchToUrl,
  toQueryParams,
  validate,
  type FieldErrors,
  type FormValues,
} from "../query/searchState";
import { DatasetPicker } from "./DatasetPicker";
import { mergeFields } from "./mergeFields";
import { StreamedResultItem } from "./StreamedResultItem";
import { useMultiQueryStream, type StreamRequest } from "./useMultiQueryStream";

const MultiQueryDatasetsQuery = graphql(`
  query MultiQueryDatasets {
    datasets {
      id
      name
      multiQuery
      archive {
        id
        name
      }
      queryFields {
        name
        label
        type
        unit
        default
        description
        allowedValues
        required
      }
    }
  }
`);

const MULTI_PAGE_SIZE = 20;

function datasetsFromUrl(search: URLSearchParams): string[] | null {
  const raw = search.get("datasets");
  if (!raw) return null;
  return raw
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
}

export function MultiQueryPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const search = useMemo(() => {
    const parsed = searchFromUrl(searchParams);
    return { ...parsed, pageSize: searchParams.has("pageSize") ? parsed.pageSize : MULTI_PAGE_SIZE };
  }, [searchParams]);
  const urlDatasets = useMemo(() => datasetsFromUrl(searchParams), [searchParams]);
  const announce = useAnnounce();

  const [{ data, fetching, error }] = useQuery({ query: MultiQueryDatasetsQuery });
  const datasets = useMemo(() => data?.datasets ?? [], [data]);
  const [chosen, setChosen] = useState<string[] | null>(urlDatasets);
  const asked = useMemo(
    () => (chosen === null ? datasets.filter((d) => d.multiQuery) : datasets.filter((d) => chosen.includes(d.id))),
    [datasets, chosen],
  );
  const fields = useMemo(() => mergeFields(asked.map((d) => d.queryFields)), [asked]);

  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [pickerError, setPickerError] = useState<string | undefined>();
  const loaded = data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    setChosen(urlDatasets);
  }, [loaded, urlDatasets]);
  useEffect(() => {
    if (!loaded) return;
    setValues((current) => ({ ...initialValues(fields, search), ...(search.submitted ? {} : current) }));
    // the fields change with the choice of datasets; keep what was typed
  }, [loaded, search]);

  const request = useMemo<StreamRequest | null>(
    () =>
      search.submitted
        ? {
            run: searchParams.toString(),
            params: toQueryParams(search.values),
            datasets: urlDatasets,
            page: search.page,
            pageSize: search.pageSize,
          }
        : null,
    [search, searchParams, urlDatasets],
  );
  const { state, error: streamError } = useMultiQueryStream(request);

  const announced = useRef("");
  useEffect(() => {
    if (!state) return;
    const text = state.done
      ? state.summary
        ? `All ${state.summary.datasets} datasets answered: ${state.summary.succeeded} with records, ${state.summary.failed} failed, ${plural(state.summary.totalCount, "record")} in ${formatMs(state.summary.elapsedMs)}.`
        : `The multi-query was refused: ${state.error?.message ?? ""}`
      : `${state.completed} of ${state.total ?? "?"} datasets answered.`;
    if (text !== announced.current) {
      announced.current = text;
      announce(text);
    }
  }, [state, announce]);

  if (fetching && !data) return <Loading label="Loading the datasets…" />;
  if (error) return <RequestError error={error} what="the datasets" />;

  const arrived = new Set(state?.results.map((r) => r.datasetId) ?? []);
  const expected = request ? (urlDatasets ?? datasets.filter((d) => d.multiQuery).map((d) => d.id)) : [];
  const waiting = state?.done ? [] : expected.filter((id) => !arrived.has(id));
  const nameOf = (id: string) => datasets.find((d) => d.id === id)?.name ?? id;

  return (
    <section>
      <PageHeading title="Multi Query">Multi Query</PageHeading>
      <p className="lead">One search over many datasets. Each answers on its own: the fast ones show up first.</p>
      <QueryForm
        fields={fields}
        values={values}
        errors={errors}
        busy={Boolean(request && !state?.done)}
        submitLabel="Search all"
        onChange={(name, value) => {
          setValues((current) => ({ ...current, [name]: value }));
          setErrors((current) => {
            if (!(name in current)) return current;
            const { [name]: _dropped, ...rest } = current;
            return rest;
          });
        }}
        onSubmit={() => {
          const problems = validate(fields, values);
          setErrors(problems);
          const none = chosen !== null && chosen.length === 0;
          setPickerError(none ? "Choose at least one dataset" : undefined);
          if (Object.keys(problems).length === 0 && !none) {
            setSearchParams(
              searchToUrl(values, 1, search.pageSize, chosen === null ? {} : { datasets: chosen.join(",") }),
            );
          }
          return problems;
        }}
      >
        <DatasetPicker datasets={datasets} chosen={chosen} onChange={setChosen} error={pickerError} />
      </QueryForm>

      <section aria-labelledby="multi-results-heading" className="results-section">
        <h2 id="multi-results-heading">Results by dataset</h2>
        {!request && <p className="muted">Search to query every chosen dataset at once.</p>}
        {streamError && <Notice kind="error">The result stream failed: {errorText(streamError)}</Notice>}
        {request && (
          <div className="stream-progress">
            <label htmlFor="multi-progress">
              {state?.done
                ? "Every dataset has answered"
                : `${state?.completed ?? 0} of ${state?.total ?? expected.length} datasets answered`}
            </label>
            <progress id="multi-progress" max={state?.total ?? expected.length} value={state?.completed ?? 0} />
          </div>
        )}
        {state?.error && <Notice kind="error">The multi-query was refused: {state.error.message}</Notice>}
        {state?.summary && (
          <p className="results-summary" data-testid="multi-summary">
            <strong>{plural(state.summary.totalCount, "record")}</strong> from {formatCount(state.summary.succeeded)} of{" "}
            {formatCount(state.summary.datasets)} datasets ({formatCount(state.summary.failed)} failed) in{" "}
            {formatMs(state.summary.elapsedMs)}.
          </p>
        )}
        {state && state.results.length > 0 && (
          <ol className="stream-list" aria-label="Answers, in order of arrival">
            {state.results.map((result, index) => (
              <StreamedResultItem
                key={result.datasetId}
                result={result}
                arrival={index + 1}
                values={search.values}
                params={request?.params ?? {}}
              />
            ))}
          </ol>
        )}
        {waiting.length > 0 && (
          <div className="stream-waiting">
            <h3 className="small-heading">Still waiting for</h3>
            <ul>
              {waiting.map((id) => (
                <li key={id} data-waiting={id}>
                  <span className="spinner" aria-hidden="true" /> {nameOf(id)}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
    </section>
  );
}
