/**
 * Query one dataset: the form drawn from its queryFields, then a page of results. The URL holds
 * the whole search (/query/<dataset>?ra=..&dec=..&radius=..&page=2&pageSize=50).
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PageHeading } from "../../components/PageHeading";
import { Loading, Notice, RequestError } from "../../components/Status";
import { useAnnounce } from "../../components/Announcer";
import { plural } from "../../format/numbers";
import { QueryForm } from "./QueryForm";
import { ResultsView } from "./ResultsView";
import {
  fieldsOfParameter,
  initialValues,
  searchFromUrl,
  searchToUrl,
  toQueryParams,
  validate,
  type FieldErrors,
  type FormValues,
} from "./searchState";

const DatasetFormQuery = graphql(`
  query DatasetForm($id: ID!) {
    dataset(id: $id) {
      id
      name
      description
      protocol
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

const DatasetResultsQuery = graphql(`
  query DatasetResults($id: ID!, $params: QueryParamsInput!, $page: Int!, $pageSize: Int!) {
    dataset(id: $id) {
      id
      query(params: $params, page: $page, pageSize: $pageSize) {
        ...QueryOutcome
      }
    }
  }
`);

export function votableUrl(datasetId: string, query: URLSearchParams): string {
  return new URL(
    `/query/${encodeURIComponent(datasetId)}.votable?${query.toString()}`,
    window.location.href,
  ).toString();
}

export function QueryPage() {
  const { datasetId = "" } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const search = useMemo(() => searchFromUrl(searchParams), [searchParams]);
  const announce = useAnnounce();

  const [{ data: meta, fetching: metaFetching, error: metaError }] = useQuery({
    query: DatasetFormQuery,
    variables: { id: datasetId },
  });
  const dataset = meta?.dataset;
  const fields = useMemo(() => dataset?.queryFields ?? [], [dataset]);

  const [values, setValues] = useState<FormValues>({});
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  // The form follows the URL (first load, back and forward).
  useEffect(() => {
    if (!dataset) return;
    setValues(initialValues(fields, search));
    setClientErrors({});
    setEdited(new Set());
  }, [dataset, fields, search]);

  const params = useMemo(() => toQueryParams(search.values), [search.values]);
  const [{ data: results, fetching: resultsFetching, error: resultsError }] = useQuery({
    query: DatasetResultsQuery,
    variables: { id: datasetId, params, page: search.page, pageSize: search.pageSize },
    pause: !search.submitted, // asked with the form's fields, not after them
  });
  const result = results?.dataset?.query;

  useEffect(() => {
    if (!result || !dataset) return;
    announce(
      result.error
        ? `${dataset.name}: the query failed. ${result.error.message}`
        : `${dataset.name}: ${plural(result.totalCount ?? 0, "record")}, page ${result.page}.`,
    );
  }, [result, dataset, announce]);

  // A parameter the gateway refused is shown at its field until that field is edited.
  const serverErrors = useMemo<FieldErrors>(() => {
    const error = result?.error;
    if (!error || !("parameter" in error) || !error.parameter) return {};
    const names = fieldsOfParameter(error.parameter).filter((name) => fields.some((f) => f.name === name));
    return Object.fromEntries(names.filter((n) => !edited.has(n)).map((n) => [n, error.message]));
  }, [result, fields, edited]);

  const go = useCallback(
    (nextValues: FormValues, page: number, pageSize: number) =>
      setSearchParams(searchToUrl(nextValues, page, pageSize)),
    [setSearchParams],
  );

  if (metaFetching && !meta) return <Loading label="Loading the dataset…" />;
  if (metaError) return <RequestError error={metaError} what="the dataset" />;
  if (!dataset) {
    return (
      <section>
        <PageHeading title="Unknown dataset">Unknown dataset</PageHeading>
        <Notice kind="warning">
          No dataset has the id <code>{datasetId}</code>. Pick one from the <Link to="/archives">archives</Link>.
        </Notice>
      </section>
    );
  }

  return (
    <section>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/archives">Archives</Link> <span aria-hidden="true">›</span>{" "}
        <Link to={`/archives/${encodeURIComponent(dataset.archive.id)}`}>{dataset.archive.name}</Link>{" "}
        <span aria-hidden="true">›</span> <span>{dataset.name}</span>
      </nav>
      <PageHeading title={`Query ${dataset.name}`}>Query {dataset.name}</PageHeading>
      {dataset.description && <p className="lead">{dataset.description}</p>}
      <QueryForm
        fields={fields}
        values={values}
        errors={{ ...serverErrors, ...clientErrors }}
        busy={resultsFetching}
        onChange={(name, value) => {
          setValues((current) => ({ ...current, [name]: value }));
          setEdited((current) => new Set(current).add(name));
          setClientErrors((current) => {
            if (!(name in current)) return current;
            const { [name]: _dropped, ...rest } = current;
            return rest;
          });
        }}
        onSubmit={() => {
          const problems = validate(fields, values);
          setClientErrors(problems);
          if (Object.keys(problems).length === 0) {
            setEdited(new Set());
            go(values, 1, search.pageSize);
          } else {
            announce(
              `The search has ${plural(Object.keys(problems).length, "problem")}: ${Object.values(problems).join("; ")}`,
            );
          }
          return problems;
        }}
      />
      <section aria-labelledby="results-heading" aria-busy={resultsFetching} className="results-section">
        <h2 id="results-heading">Results</h2>
        {!search.submitted && <p className="muted">Fill in the form and search: the results appear here.</p>}
        {search.submitted && resultsFetching && <Loading label={`Querying ${dataset.name}…`} />}
        {resultsError && <RequestError error={resultsError} what="the results" />}
        {result && (
          <ResultsView
            result={result}
            datasetName={dataset.name}
            params={params}
            votableUrl={votableUrl(dataset.id, searchToUrl(search.values, search.page, search.pageSize))}
            onPage={(page) => go(search.values, page, search.pageSize)}
            onPageSize={(size) => go(search.values, 1, size)}
            measure
          />
        )}
      </section>
    </section>
  );
}
