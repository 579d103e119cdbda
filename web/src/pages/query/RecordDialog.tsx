/** A record's every native column, fetched when asked for (the page itself does not carry them). */
import { useQuery } from "urql";
import { graphql } from "../../gql";
import type { QueryParamsInput } from "../../gql/graphql";
import { Dialog } from "../../components/Dialog";
import { CopyButton } from "../../components/CopyButton";
import { Loading, Notice, RequestError } from "../../components/Status";

const NativeRecordQuery = graphql(`
  query NativeRecord($dataset: ID!, $params: QueryParamsInput!, $position: Int!) {
    dataset(id: $dataset) {
      id
      query(params: $params, page: $position, pageSize: 1) {
        status
        rows {
          id
          fields
        }
        error {
          __typename
          message
        }
      }
    }
  }
`);

export interface RecordRef {
  datasetId: string;
  params: QueryParamsInput;
  /** Position of the record in the whole result, from 1. */
  position: number;
  recordId: string;
  title: string;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function RecordDialog({ record, onClose }: { record: RecordRef; onClose: () => void }) {
  const [{ data, fetching, error }] = useQuery({
    query: NativeRecordQuery,
    variables: { dataset: record.datasetId, params: record.params, position: record.position },
  });
  const result = data?.dataset?.query;
  const row = result?.rows[0];
  const fields =
    row && typeof row.fields === "object" && row.fields !== null ? (row.fields as Record<string, unknown>) : null;
  return (
    <Dialog title={`Record: ${record.title}`} onClose={onClose} wide>
      {fetching && !data && <Loading label="Loading the native record…" />}
      {error && <RequestError error={error} what="the record" />}
      {result?.error && <Notice kind="error">{result.error.message}</Notice>}
      {row && row.id !== record.recordId && (
        <Notice kind="warning">
          The archive's answer has changed since this page was loaded: this is the record now at position{" "}
          {record.position}.
        </Notice>
      )}
      {fields && (
        <>
          <p>
            <CopyButton text={JSON.stringify(fields, null, 2)} label="Copy as JSON" />
          </p>
          <div className="table-wrap record-fields">
            <table className="table">
              <caption className="visually-hidden">Native columns of {record.title}</caption>
              <thead>
                <tr>
                  <th scope="col">Column</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(fields).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">
                      <code>{name}</code>
                    </th>
                    <td className="wrap">{show(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Dialog>
  );
}
