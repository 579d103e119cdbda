/** Asynchronous jobs: create one, and watch every job's phase change live (myJobs). */
import { useEffect, useRef } from "react";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../../gql";
import { PageHeading } from "../../components/PageHeading";
import { Loading, Notice, RequestError, errorText } from "../../components/Status";
import { useAnnounce } from "../../components/Announcer";
import { CreateJobForm } from "./CreateJobForm";
import { JobsTable } from "./JobsTable";
import { useJobsRefresh } from "./useJobsRefresh";
import { useLiveConnection } from "../../graphql/liveConnection";

const JobsQuery = graphql(`
  query Jobs {
    jobs(last: 100) {
      ...JobFields
    }
  }
`);

const MyJobsSubscription = graphql(`
  subscription MyJobs {
    myJobs {
      jobId
      phase
      at
      deleted
    }
  }
`);

export function JobsPage() {
  const announce = useAnnounce();
  const [{ data, fetching, error }] = useQuery({ query: JobsQuery, requestPolicy: "cache-and-network" });
  // The cache shows each event's phase at once (graphql/cache.ts); times, results and errors
  // come with a fresh list.
  const [{ data: event, error: liveError }] = useSubscription({ query: MyJobsSubscription });
  const refresh = useJobsRefresh();
  const live = useLiveConnection(refresh);
  const jobs = useRef(data?.jobs);
  jobs.current = data?.jobs;
  useEffect(() => {
    const change = event?.myJobs;
    if (!change) return;
    refresh();
    const job = jobs.current?.find((j) => j.id === change.jobId);
    const name = job?.runId ?? job?.type ?? change.jobId;
    announce(change.deleted ? `Job ${name} was deleted.` : `Job ${name} is now ${change.phase}.`);
  }, [event, announce, refresh]);

  return (
    <section>
      <PageHeading title="Asynchronous Jobs">Asynchronous Jobs</PageHeading>
      <p className="lead">Long work runs on the gateway as IVOA UWS jobs. Phases update here as they change.</p>
      <CreateJobForm onCreated={refresh} />
      <section aria-labelledby="jobs-heading" data-live={live}>
        <h2 id="jobs-heading">Your jobs</h2>
        {liveError && (
          <Notice kind="warning">Live updates are off: {errorText(liveError)}. Reload the page to see changes.</Notice>
        )}
        {fetching && !data && <Loading label="Loading your jobs…" />}
        {error && <RequestError error={error} what="your jobs" />}
        {data && <JobsTable jobs={data.jobs} />}
      </section>
    </section>
  );
}
