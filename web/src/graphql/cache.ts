/**
 * The normalised cache: which types are entities (and their keys), and how mutations and
 * subscription events change what is already on screen.
 */
import { cacheExchange, type Cache, type CacheExchangeOpts, type Data } from "@urql/exchange-graphcache";
import schema from "../gql/introspection";
import { graphql } from "../gql";
import type { JobPhaseFragment } from "../gql/graphql";

const JobPhaseFragment = graphql(`
  fragment JobPhase on Job {
    id
    phase
  }
`);

// Values inside a result, not entities: they are stored where they appear.
const EMBEDDED = [
  "QueryResult",
  "Record",
  "QueryField",
  "Table",
  "Column",
  "Capability",
  "JobResult",
  "JobError",
  "PhaseChange",
  "MultiQueryEvent",
  "MultiQuerySummary",
  "MultiQueryResult",
  "BasketItemsAdded",
  "BasketItemsRemoved",
  "BasketCleared",
  "BasketDeleted",
  "DeletedJob",
  "ArchiveFailure",
  "ArchiveTimeout",
  "ArchiveUnreachable",
  "BasketFull",
  "IllegalPhaseTransition",
  "InvalidBasketName",
  "InvalidJobParameters",
  "InvalidParameter",
  "MalformedResponse",
  "RecordTooLarge",
  "TooManyItems",
  "TooManyJobs",
  "UnknownDataset",
  "UnknownJob",
  "UnknownJobType",
  "UnsupportedParameter",
] as const;

/** Forget every cached list of jobs (the next read asks the gateway). */
function invalidateJobLists(cache: Cache): void {
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName === "jobs") cache.invalidate("Query", field.fieldName, field.arguments ?? undefined);
  }
}

/** Forget every cached basket and list of baskets. */
function invalidateBaskets(cache: Cache): void {
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName === "basket" || field.fieldName === "baskets") {
      cache.invalidate("Query", field.fieldName, field.arguments ?? undefined);
    }
  }
}

interface PhaseEvent {
  jobId: string;
  phase: string;
  deleted: boolean;
}

/** A job changed phase: update it in place, or refetch what we cannot know from the event. */
function applyPhaseChange(cache: Cache, event: PhaseEvent | undefined): void {
  if (!event) return;
  const key = cache.keyOfEntity({ __typename: "Job", id: event.jobId });
  if (event.deleted) {
    if (key) cache.invalidate(key);
    invalidateJobLists(cache);
    return;
  }
  if (!key || cache.resolve(key, "phase") === undefined) {
    invalidateJobLists(cache); // a job created elsewhere (UWS, another tab): list it
    return;
  }
  cache.writeFragment(JobPhaseFragment, { id: event.jobId, phase: event.phase as JobPhaseFragment["phase"] });
  // What else changes with the phase (times, results, error) is not in the event: ask again.
  for (const field of ["startTime", "endTime", "results", "error", "attempts"]) {
    cache.invalidate(key, field);
  }
}

export const updates: CacheExchangeOpts["updates"] = {
  Mutation: {
    addToBasket: (_result, _args, cache) => invalidateBaskets(cache),
    removeFromBasket: (_result, _args, cache) => invalidateBaskets(cache),
    clearBasket: (_result, _args, cache) => invalidateBaskets(cache),
    deleteBasket: (_result, _args, cache) => invalidateBaskets(cache),
    createJob: (_result, _args, cache) => invalidateJobLists(cache),
    deleteJob: (result: Data, _args, cache) => {
      const payload = result["deleteJob"] as { __typename?: string; id?: string } | undefined;
      if (payload?.__typename === "DeletedJob" && payload.id) {
        cache.invalidate({ __typename: "Job", id: payload.id });
      }
      invalidateJobLists(cache);
    },
  },
  Subscription: {
    myJobs: (result: Data, _args, cache) => applyPhaseChange(cache, result["myJobs"] as PhaseEvent),
    jobPhase: (result: Data, _args, cache) => applyPhaseChange(cache, result["jobPhase"] as PhaseEvent),
  },
};

export function graphCache() {
  return cacheExchange({
    schema,
    keys: {
      ...Object.fromEntries(EMBEDDED.map((name) => [name, () => null])),
      Basket: (basket) => (basket["name"] as string | undefined) ?? null,
      JobType: (type) => (type["name"] as string | undefined) ?? null,
    },
    updates,
  });
}
