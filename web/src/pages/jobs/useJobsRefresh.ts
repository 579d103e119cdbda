/**
 * Fetches the jobs list again after changes, one fetch at a time: the last fetch always starts
 * after the last change, so what stays on screen is never older than the newest event.
 */
import { useCallback, useEffect, useRef } from "react";
import { useClient } from "urql";
import { graphql } from "../../gql";

// Its own operation (not the page's Jobs query), so it is never merged into an older request.
const JobsRefreshQuery = graphql(`
  query JobsRefresh {
    jobs(last: 100) {
      ...JobFields
    }
  }
`);

export function useJobsRefresh(): () => void {
  const client = useClient();
  const state = useRef({ running: false, dirty: false, alive: true });
  useEffect(() => {
    const current = state.current;
    current.alive = true;
    return () => {
      current.alive = false;
    };
  }, []);
  return useCallback(() => {
    const current = state.current;
    current.dirty = true;
    if (current.running) return;
    current.running = true;
    void (async () => {
      try {
        while (current.dirty && current.alive) {
          current.dirty = false;
          await client.query(JobsRefreshQuery, {}, { requestPolicy: "network-only" }).toPromise();
        }
      } finally {
        current.running = false;
      }
    })();
  }, [client]);
}
