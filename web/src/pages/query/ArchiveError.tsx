/** A dataset's typed error, for a person: what happened and what to do. */
import { graphql } from "../../gql";
import type { ArchiveErrorFragment } from "../../gql/graphql";

graphql(`
  fragment ArchiveError on Error {
    __typename
    code
    message
    ... on InvalidParameter {
      parameter
    }
    ... on UnsupportedParameter {
      parameter
    }
    ... on ArchiveTimeout {
      seconds
    }
    ... on ArchiveFailure {
      httpStatus
    }
  }
`);

const ADVICE: Record<string, string> = {
  ArchiveUnreachable: "The archive could not be reached. It may be down or off the network: try again later.",
  ArchiveTimeout: "The archive did not answer in time. Try a smaller search radius, or again later.",
  ArchiveFailure: "The archive reported an error.",
  MalformedResponse: "The archive sent an answer the gateway cannot read.",
  InvalidParameter: "Correct the search and try again.",
  UnsupportedParameter: "This dataset cannot filter on that input: leave it empty.",
  UnknownDataset: "No dataset has this id.",
};

export function ArchiveError({ error, dataset }: { error: ArchiveErrorFragment; dataset: string }) {
  return (
    <div className="alert alert-error" role="alert" data-testid="archive-error" data-error-type={error.__typename}>
      <strong>
        {dataset}: {ADVICE[error.__typename] ?? "The query failed."}
      </strong>
      <div className="small">
        {error.message}
        {error.__typename === "ArchiveFailure" && error.httpStatus ? ` (HTTP ${error.httpStatus})` : ""}
      </div>
    </div>
  );
}
