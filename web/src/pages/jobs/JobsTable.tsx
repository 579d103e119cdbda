/** The caller's jobs: phase (live), times, results to download, error; abort, start and delete. */
import { useMutation } from "urql";
import { graphql } from "../../gql";
import type { JobFieldsFragment } from "../../gql/graphql";
import { useAnnounce } from "../../components/Announcer";
import { DownloadLink } from "../../components/DownloadLink";
import { formatBytes, formatInstant } from "../../format/numbers";

graphql(`
  fragment JobFields on Job {
    id
    type
    phase
    runId
    parameters
    creationTime
    startTime
    endTime
    executionDuration
    attempts
    results {
      name
      url
      mimeType
      size
    }
    error {
      type
      code
      message
    }
  }
`);

const AbortJobMutation = graphql(`
  mutation AbortJob($id: ID!) {
    abortJob(id: $id) {
      __typename
      ... on Job {
        id
        phase
      }
      ... on Error {
        message
      }
    }
  }
`);

const StartJobMutation = graphql(`
  mutation StartJob($id: ID!) {
    startJob(id: $id) {
      __typename
      ... on Job {
        id
        phase
      }
      ... on Error {
        message
      }
    }
  }
`);

const DeleteJobMutation = graphql(`
  mutation DeleteJob($id: ID!) {
    deleteJob(id: $id) {
      __typename
      ... on DeletedJob {
        id
      }
      ... on Error {
        message
      }
    }
  }
`);

/** Why a job action was refused (a GraphQL error or a typed error in the payload). */
function refusal(state: { error?: { message: string }; data?: Record<string, unknown> | null }): string | null {
  if (state.error) return state.error.message;
  const payload = state.data ? Object.values(state.data)[0] : null;
  return payload && typeof payload === "object" && "message" in payload ? String(payload.message) : null;
}

const ACTIVE = new Set(["PENDING", "QUEUED", "EXECUTING", "HELD", "SUSPENDED"]);

export function PhaseBadge({ phase }: { phase: string }) {
  return (
    <span className={`badge badge-phase-${phase.toLowerCase()}`} data-testid="job-phase">
      {phase}
    </span>
  );
}

function JobRow({ job }: { job: JobFieldsFragment }) {
  const announce = useAnnounce();
  const [abortState, abort] = useMutation(AbortJobMutation);
  const [startState, start] = useMutation(StartJobMutation);
  const [deleteState, remove] = useMutation(DeleteJobMutation);
  const name = job.runId ?? job.type;
  const failure = refusal(abortState) ?? refusal(startState) ?? refusal(deleteState);
  return (
    <tr data-job-id={job.id}>
      <th scope="row">
        <span className="cell-title">{name}</span>
        <div className="muted small">
          <code>{job.id}</code>
        </div>
      </th>
      <td>{job.type}</td>
      <td>
        <PhaseBadge phase={job.phase} />
        {job.attempts > 1 && <div className="small muted">attempt {job.attempts}</div>}
      </td>
      <td className="small">
        <div>created {formatInstant(job.creationTime)}</div>
        {job.startTime && <div>started {formatInstant(job.startTime)}</div>}
        {job.endTime && <div>ended {formatInstant(job.endTime)}</div>}
      </td>
      <td>
        {job.results.length > 0 && (
          <ul className="plain-list">
            {job.results.map((result) => (
              <li key={result.name}>
                <DownloadLink href={result.url} filename={result.name}>
                  {result.name}
                </DownloadLink>{" "}
                <span className="muted small">({formatBytes(result.size)})</span>
              </li>
            ))}
          </ul>
        )}
        {job.error && (
          <p className="field-error small">
            {job.error.type === "TRANSIENT" ? "Try again later: " : ""}
            {job.error.message}
          </p>
        )}
        <details className="small">
          <summary>Parameters</summary>
          <pre className="code">{JSON.stringify(job.parameters, null, 2)}</pre>
        </details>
      </td>
      <td>
        <div className="row-actions">
          {job.phase === "PENDING" && (
            <button
              type="button"
              className="button-small"
              onClick={() => void start({ id: job.id }).then(() => announce(`Job ${name} queued.`))}
            >
              Start<span className="visually-hidden"> job {name}</span>
            </button>
          )}
          {ACTIVE.has(job.phase) && (
            <button type="button" className="button-small" onClick={() => void abort({ id: job.id })}>
              Abort<span className="visually-hidden"> job {name}</span>
            </button>
          )}
          <button
            type="button"
            className="button-small button-danger"
            onClick={() => void remove({ id: job.id }).then(() => announce(`Job ${name} deleted.`))}
          >
            Delete<span className="visually-hidden"> job {name}</span>
          </button>
        </div>
        {failure && (
          <p className="field-error small" role="alert">
            {failure}
          </p>
        )}
      </td>
    </tr>
  );
}

export function JobsTable({ jobs }: { jobs: readonly JobFieldsFragment[] }) {
  if (jobs.length === 0) return <p>You have no jobs yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="jobs-table">
        <caption className="visually-hidden">Your jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Phase</th>
            <th scope="col">Times (UTC)</th>
            <th scope="col">Results</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
