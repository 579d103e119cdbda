/** How numbers read in tables: sizes, coordinates, durations, counts. */

const SIZE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/** 2100000000 -> "2.1 GB" (SI units, as archives quote sizes). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

/** Degrees with a fixed number of decimals; empty when absent. */
export function formatDegrees(value: number | null | undefined, digits = 5): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "";
  return value.toFixed(digits);
}

/** 1234.5 -> "1.23 s", 87.2 -> "87 ms". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

const COUNT = new Intl.NumberFormat("en");

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : COUNT.format(value);
}

/** "1 record" / "3 records". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

/** An ISO instant as "3 Dec 2026, 07:54:39 UTC"; empty when absent. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${DATE_TIME.format(date)} UTC`;
}
