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

// UWS phases only move forward (a job a lost worker left goes back to QUEUED, rarely).
const PHASE_RANK: Record<string, number> = {
  PENDING: 0,
  HELD: 0,
  QUEUED: 1,
  SUSPENDED: 1,
  EXECUTING: 2,
  UNKNOWN: 2,
  COMPLETED: 3,
  ERROR: 3,
  ABORTED: 3,
  ARCHIVED: 4,
};

/** The latest phase each job's events announced (one map per cache). */
type AnnouncedPhases = Map<string, string>;

/**
 * A job's phase: the one stored, unless an event has announced a later one. A list fetched
 * before an event may answer after it; it must not take the job back to an earlier phase.
 */
function resolvePhase(
  announcedPhases: AnnouncedPhases,
  parent: Record<string, unknown>,
  cache: Cache,
  info: { parentKey: string; fieldName: string },
) {
  const stored = cache.resolve(info.parentKey, info.fieldName) as string | undefined;
  const announced = announcedPhases.get(String(parent["id"] ?? cache.resolve(info.parentKey, "id")));
  if (!stored || !announced) return stored ?? announced ?? null;
  return (PHASE_RANK[announced] ?? 0) > (PHASE_RANK[stored] ?? 0) ? announced : stored;
}

/** A job changed phase: show it at once (what else changed comes with the next fetch). */
function applyPhaseChange(announcedPhases: AnnouncedPhases, cache: Cache, event: PhaseEvent | undefined): void {
  if (!event) return;
  if (event.deleted) {
    announcedPhases.delete(event.jobId);
    cache.invalidate({ __typename: "Job", id: event.jobId });
    return;
  }
  announcedPhases.set(event.jobId, event.phase);
  const key = cache.keyOfEntity({ __typename: "Job", id: event.jobId });
  if (key && cache.resolve(key, "phase") !== undefined) {
    cache.writeFragment(JobPhaseFragment, { id: event.jobId, phase: event.phase as JobPhaseFragment["phase"] });
  }
}

function updates(announcedPhases: AnnouncedPhases): CacheExchangeOpts["updates"] {
  return {
    Mutation: {
      addToBasket: (_result, _args, cache) => invalidateBaskets(cache),
      removeFromBasket: (_result, _args, cache) => invalidateBaskets(cache),
      clearBasket: (_result, _args, cache) => invalidateBaskets(cache),
      deleteBasket: (_result, _args, cache) => invalidateBaskets(cache),
      // A new job is listed by the jobs page's refresh (pages/jobs/useJobsRefresh.ts).
      deleteJob: (result: Data, _args, cache) => {
        const payload = result["deleteJob"] as { __typename?: string; id?: string } | undefined;
        if (payload?.__typename === "DeletedJob" && payload.id) {
          cache.invalidate({ __typename: "Job", id: payload.id });
        }
      },
    },
    Subscription: {
      myJobs: (result: Data, _args, cache) => applyPhaseChange(announcedPhases, cache, result["myJobs"] as PhaseEvent),
      jobPhase: (result: Data, _args, cache) =>
        applyPhaseChange(announcedPhases, cache, result["jobPhase"] as PhaseEvent),
    },
  };
}

export function graphCache() {
  const announcedPhases: AnnouncedPhases = new Map();
  return cacheExchange({
    schema,
    keys: {
      ...Object.fromEntries(EMBEDDED.map((name) => [name, () => null])),
      Basket: (basket) => (basket["name"] as string | undefined) ?? null,
      JobType: (type) => (type["name"] as string | undefined) ?? null,
    },
    updates: updates(announcedPhases),
    resolvers: { Job: { phase: (parent, _args, cache, info) => resolvePhase(announcedPhases, parent, cache, info) } },
  });
}
