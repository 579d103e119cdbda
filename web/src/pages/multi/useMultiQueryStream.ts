/** Follows a multiQueryStream subscription: results as they arrive, then the summary. */
import { useRef } from "react";
import { useSubscription } from "urql";
import { graphql } from "../../gql";
import type { MultiQueryStreamSubscription, QueryParamsInput } from "../../gql/graphql";

const MultiQueryStreamSubscriptionDoc = graphql(`
  subscription MultiQueryStream($params: QueryParamsInput!, $datasets: [ID!], $page: Int!, $pageSize: Int!) {
    multiQueryStream(params: $params, datasets: $datasets, page: $page, pageSize: $pageSize) {
      kind
      completed
      total
      result {
        ...QueryOutcome
        dataset {
          id
          name
          archive {
            id
            name
          }
        }
      }
      summary {
        datasets
        succeeded
        failed
        totalCount
        elapsedMs
      }
      error {
        __typename
        code
        message
      }
    }
  }
`);

type Event = MultiQueryStreamSubscription["multiQueryStream"];
export type StreamedResult = NonNullable<Event["result"]>;

export interface StreamState {
  run: string;
  /** In order of arrival. */
  results: StreamedResult[];
  completed: number;
  total: number | null;
  summary: Event["summary"];
  error: Event["error"];
  done: boolean;
}

function initial(run: string): StreamState {
  return { run, results: [], completed: 0, total: null, summary: null, error: null, done: false };
}

export function reduceStream(state: StreamState, event: Event): StreamState {
  const next: StreamState = { ...state, completed: event.completed, total: event.total };
  if (event.kind === "RESULT" && event.result) next.results = [...state.results, event.result];
  if (event.kind === "DONE") {
    next.summary = event.summary;
    next.done = true;
  }
  if (event.error) {
    next.error = event.error;
    next.done = true;
  }
  return next;
}

export interface StreamRequest {
  /** Identifies one run (the URL): a new run starts from nothing. */
  run: string;
  params: QueryParamsInput;
  datasets: string[] | null;
  page: number;
  pageSize: number;
}

export function useMultiQueryStream(request: StreamRequest | null) {
  const run = useRef(request?.run ?? "");
  run.current = request?.run ?? "";
  const [{ data, error }] = useSubscription(
    {
      query: MultiQueryStreamSubscriptionDoc,
      variables: request
        ? { params: request.params, datasets: request.datasets, page: request.page, pageSize: request.pageSize }
        : { params: {}, page: 1, pageSize: 1 },
      pause: request === null,
    },
    (previous: StreamState | undefined, response: MultiQueryStreamSubscription) => {
      const base = previous && previous.run === run.current ? previous : initial(run.current);
      return reduceStream(base, response.multiQueryStream);
    },
  );
  const state = data && request && data.run === request.run ? data : null;
  return { state, error };
}
