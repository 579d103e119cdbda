/**
 * A search as URL state, and the query form's checks. The URL holds every input, the page and
 * the page size, so a search can be bookmarked and shared; `page` marks a submitted search.
 */
import type { FieldType, QueryParamsInput } from "../../gql/graphql";

export interface FormField {
  name: string;
  label: string;
  type: FieldType;
  unit: string | null;
  default: string | null;
  description: string;
  allowedValues: readonly string[];
  required: boolean;
}

export type FormValues = Record<string, string>;
export type FieldErrors = Record<string, string>;

/** The inputs of QueryParamsInput, the vocabulary every dataset shares. */
export const PARAM_NAMES = [
  "target",
  "ra",
  "dec",
  "radius",
  "collection",
  "calibrationLevel",
  "dataproductType",
] as const;
type ParamName = (typeof PARAM_NAMES)[number];

export const PAGE_SIZES = [25, 50, 100, 250, 1000] as const;
export const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 10_000;
const MAX_TEXT = 256;

interface Range {
  low: number;
  high: number;
  lowOpen?: boolean;
  unit: string;
}

// The gateway's own bounds (domain/query.py), checked here first so a typo costs no request.
const RANGES: Partial<Record<ParamName, Range>> = {
  ra: { low: 0, high: 360, unit: "degrees" },
  dec: { low: -90, high: 90, unit: "degrees" },
  radius: { low: 0, high: 90, lowOpen: true, unit: "degrees" },
  calibrationLevel: { low: 0, high: 4, unit: "" },
};

const INTEGER_PARAMS = new Set<string>(["calibrationLevel"]);
const FLOAT_PARAMS = new Set<string>(["ra", "dec", "radius"]);

export interface Search {
  values: FormValues;
  page: number;
  pageSize: number;
  /** True when the URL holds a submitted search (it has a page). */
  submitted: boolean;
}

function positiveInt(raw: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw === null ? NaN : Number(raw);
  return Number.isInteger(value) && value >= 1 ? Math.min(value, max) : fallback;
}

/** The search a URL holds. */
export function searchFromUrl(search: URLSearchParams): Search {
  const values: FormValues = {};
  for (const name of PARAM_NAMES) {
    const value = search.get(name);
    if (value !== null && value !== "") values[name] = value;
  }
  return {
    values,
    page: positiveInt(search.get("page"), 1),
    pageSize: positiveInt(search.get("pageSize"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    submitted: search.has("page"),
  };
}

/** The URL query of a search; empty inputs are left out. */
export function searchToUrl(
  values: FormValues,
  page: number,
  pageSize: number,
  extra: Record<string, string> = {},
): URLSearchParams {
  const url = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) url.set(key, value);
  for (const name of PARAM_NAMES) {
    const value = values[name]?.trim();
    if (value) url.set(name, value);
  }
  url.set("page", String(page));
  url.set("pageSize", String(pageSize));
  return url;
}

/** What the form shows first: the URL's values after a search, else the fields' defaults. */
export function initialValues(fields: readonly FormField[], search: Search): FormValues {
  if (search.submitted) return { ...search.values };
  const values: FormValues = {};
  for (const field of fields) values[field.name] = search.values[field.name] ?? field.default ?? "";
  return values;
}

function describeRange(range: Range): string {
  const low = range.lowOpen ? `greater than ${range.low}` : `at least ${range.low}`;
  return `must be ${low} and at most ${range.high}${range.unit ? ` ${range.unit}` : ""}`;
}

function checkNumber(name: string, text: string, integer: boolean): string | null {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    return integer ? "must be a whole number" : "must be a number";
  }
  const value = Number(text);
  if (integer && !Number.isInteger(value)) return "must be a whole number";
  const range = RANGES[name as ParamName];
  if (range) {
    const tooLow = range.lowOpen ? value <= range.low : value < range.low;
    if (tooLow || value > range.high) return describeRange(range);
  }
  return null;
}

/** Problems with the inputs, by field name; empty when the search can be sent. */
export function validate(fields: readonly FormField[], values: FormValues): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of fields) {
    const text = (values[field.name] ?? "").trim();
    if (!text) {
      if (field.required) errors[field.name] = `${field.label} is required`;
      continue;
    }
    let problem: string | null = null;
    if (field.type === "ENUM") {
      if (!field.allowedValues.includes(text)) problem = `must be one of ${field.allowedValues.join(", ")}`;
    } else if (
      field.type === "FLOAT" ||
      field.type === "INT" ||
      FLOAT_PARAMS.has(field.name) ||
      INTEGER_PARAMS.has(field.name)
    ) {
      problem = checkNumber(field.name, text, field.type === "INT" || INTEGER_PARAMS.has(field.name));
    } else if (text.length > MAX_TEXT) {
      problem = `must be at most ${MAX_TEXT} characters`;
    }
    if (problem) errors[field.name] = `${field.label} ${problem}`;
  }
  // A cone needs its centre: RA and Dec together (a radius alone is not sent).
  const names = new Set(fields.map((f) => f.name));
  const ra = (values["ra"] ?? "").trim();
  const dec = (values["dec"] ?? "").trim();
  if (names.has("ra") && names.has("dec") && Boolean(ra) !== Boolean(dec)) {
    const missing = ra ? "dec" : "ra";
    errors[missing] ??= "RA and Dec must be given together for a cone search";
  }
  if (names.has("radius") && (ra || dec) && !(values["radius"] ?? "").trim()) {
    errors["radius"] ??= "a cone search needs a radius";
  }
  return errors;
}

/** The GraphQL input for valid values. */
export function toQueryParams(values: FormValues): QueryParamsInput {
  const params: QueryParamsInput = {};
  const text = (name: string) => (values[name] ?? "").trim();
  const coneCentre = Boolean(text("ra") || text("dec"));
  for (const name of PARAM_NAMES) {
    const value = text(name);
    if (!value) continue;
    if (name === "radius" && !coneCentre) continue;
    if (FLOAT_PARAMS.has(name)) params[name as "ra" | "dec" | "radius"] = Number(value);
    else if (INTEGER_PARAMS.has(name)) params.calibrationLevel = Number.parseInt(value, 10);
    else params[name as "target" | "collection" | "dataproductType"] = value;
  }
  return params;
}

/** Form fields a server error names: "ra,dec" -> ["ra", "dec"]. */
export function fieldsOfParameter(parameter: string): string[] {
  return parameter
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
}
