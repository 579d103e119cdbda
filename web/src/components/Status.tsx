/** Loading, error and empty states, the same everywhere. */
import type { CombinedError } from "urql";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function errorText(error: CombinedError): string {
  if (error.networkError) return `The gateway cannot be reached: ${error.networkError.message}`;
  return error.graphQLErrors.map((e) => e.message).join("; ") || error.message;
}

export function RequestError({ error, what }: { error: CombinedError; what: string }) {
  return (
    <div className="alert alert-error" role="alert">
      <strong>Could not load {what}.</strong> {errorText(error)}
    </div>
  );
}

export function Notice({
  kind = "info",
  children,
}: {
  kind?: "info" | "warning" | "error" | "success";
  children: React.ReactNode;
}) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : undefined}>
      {children}
    </div>
  );
}
