/** Performance marks the benchmark (benchmarks/ui.py) reads; each is set once per page load. */
const seen = new Set<string>();

export function markOnce(name: string): void {
  if (seen.has(name) || typeof performance === "undefined") return;
  seen.add(name);
  performance.mark(name);
}

/** Marks `name` after the browser has painted the current render. */
export function markAfterPaint(name: string, detail?: Record<string, unknown>): void {
  requestAnimationFrame(() => {
    setTimeout(() => performance.mark(name, { detail }), 0);
  });
}
