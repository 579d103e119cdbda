/**
 * A form from a worker type's JSON Schema (what pydantic writes): an object of string, number,
 * integer, boolean, enum and array-of-scalar properties, each possibly nullable (anyOf with
 * null), with defaults, bounds and required names. Values are edited as text.
 */

export interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "array";
type Scalar = "string" | "number" | "integer";

export interface SchemaField {
  name: string;
  label: string;
  description: string;
  kind: FieldKind;
  itemKind: Scalar;
  options: string[];
  required: boolean;
  nullable: boolean;
  defaultText: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

export type SchemaValues = Record<string, string>;
export type SchemaErrors = Record<string, string>;

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

/** The non-null branch of `anyOf: [X, {type: null}]`, and whether null was allowed. */
function unwrapNullable(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  if (schema.anyOf) {
    const branches = schema.anyOf.filter((b) => !typesOf(b).includes("null"));
    const nullable = branches.length < schema.anyOf.length;
    if (branches.length === 1 && branches[0])
      return { schema: { ...schema, ...branches[0], anyOf: undefined }, nullable };
    return { schema: { ...schema, anyOf: undefined, type: "string" }, nullable };
  }
  const types = typesOf(schema);
  if (types.includes("null")) return { schema: { ...schema, type: types.filter((t) => t !== "null") }, nullable: true };
  return { schema, nullable: false };
}

function scalarKind(schema: JsonSchema): Scalar {
  const types = typesOf(schema);
  if (types.includes("integer")) return "integer";
  if (types.includes("number")) return "number";
  return "string";
}

function defaultText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(String).join("\n");
  return String(value);
}

function humanize(name: string): string {
  const spaced = name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_.]/g, " ")
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** The form fields of an object schema, in the schema's order. */
export function schemaFields(root: unknown): SchemaField[] {
  const schema = (typeof root === "object" && root !== null ? root : {}) as JsonSchema;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const { schema: prop, nullable } = unwrapNullable(raw);
    const types = typesOf(prop);
    let kind: FieldKind;
    if (prop.enum) kind = "enum";
    else if (types.includes("boolean")) kind = "boolean";
    else if (types.includes("array")) kind = "array";
    else kind = scalarKind(prop);
    const title = prop.title && prop.title.toLowerCase() !== name.toLowerCase() ? prop.title : humanize(name);
    return {
      name,
      label: title,
      description: prop.description ?? raw.description ?? "",
      kind,
      itemKind: kind === "array" && prop.items ? scalarKind(unwrapNullable(prop.items).schema) : "string",
      options: (prop.enum ?? []).filter((v) => v !== null).map(String),
      required: required.has(name),
      nullable,
      defaultText: defaultText(raw.default ?? prop.default),
      minimum: prop.minimum,
      maximum: prop.maximum,
      exclusiveMinimum: prop.exclusiveMinimum,
      exclusiveMaximum: prop.exclusiveMaximum,
      minLength: prop.minLength,
      maxLength: prop.maxLength,
      minItems: prop.minItems,
      maxItems: prop.maxItems,
    };
  });
}

export function initialSchemaValues(fields: readonly SchemaField[]): SchemaValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.defaultText]));
}

function parseScalar(kind: Scalar, text: string): { value: string | number } | { error: string } {
  if (kind === "string") return { value: text };
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    return { error: kind === "integer" ? "must be a whole number" : "must be a number" };
  const value = Number(text);
  if (kind === "integer" && !Number.isInteger(value)) return { error: "must be a whole number" };
  return { value };
}

function checkBounds(field: SchemaField, value: number): string | null {
  if (field.minimum !== undefined && value < field.minimum) return `must be at least ${field.minimum}`;
  if (field.maximum !== undefined && value > field.maximum) return `must be at most ${field.maximum}`;
  if (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum)
    return `must be more than ${field.exclusiveMinimum}`;
  if (field.exclusiveMaximum !== undefined && value >= field.exclusiveMaximum)
    return `must be less than ${field.exclusiveMaximum}`;
  return null;
}

function checkLength(field: SchemaField, text: string): string | null {
  if (field.minLength !== undefined && text.length < field.minLength)
    return `must be at least ${field.minLength} characters`;
  if (field.maxLength !== undefined && text.length > field.maxLength)
    return `must be at most ${field.maxLength} characters`;
  return null;
}

/** The JSON parameters of the values, or the problems by field name. */
export function toParameters(
  fields: readonly SchemaField[],
  values: SchemaValues,
): { parameters: Record<string, unknown>; errors: SchemaErrors } {
  const parameters: Record<string, unknown> = {};
  const errors: SchemaErrors = {};
  for (const field of fields) {
    const text = (values[field.name] ?? "").trim();
    if (field.kind === "boolean") {
      if (text) parameters[field.name] = text === "true";
      continue;
    }
    if (!text) {
      if (field.required) errors[field.name] = `${field.label} is required`;
      continue; // left out: the worker type's default applies
    }
    if (field.kind === "enum") {
      if (!field.options.includes(text)) errors[field.name] = `must be one of ${field.options.join(", ")}`;
      else parameters[field.name] = text;
      continue;
    }
    if (field.kind === "array") {
      const items = text
        .split(/[\n,]/)
        .map((item) => item.trim())
        .filter(Boolean);
      const parsed: (string | number)[] = [];
      for (const item of items) {
        const one = parseScalar(field.itemKind, item);
        if ("error" in one) {
          errors[field.name] = `“${item}” ${one.error}`;
          break;
        }
        parsed.push(one.value);
      }
      if (errors[field.name]) continue;
      if (field.minItems !== undefined && parsed.length < field.minItems)
        errors[field.name] = `needs at least ${field.minItems}`;
      else if (field.maxItems !== undefined && parsed.length > field.maxItems)
        errors[field.name] = `takes at most ${field.maxItems}`;
      else parameters[field.name] = parsed;
      continue;
    }
    const one = parseScalar(field.kind, text);
    if ("error" in one) {
      errors[field.name] = one.error;
      continue;
    }
    const problem = typeof one.value === "number" ? checkBounds(field, one.value) : checkLength(field, one.value);
    if (problem) errors[field.name] = problem;
    else parameters[field.name] = one.value;
  }
  return { parameters, errors };
}

/** The gateway's InvalidJobParameters problems ("dataset: Field required") by field. */
export function problemsByField(
  problems: readonly string[],
  fields: readonly SchemaField[],
): { byField: SchemaErrors; other: string[] } {
  const byField: SchemaErrors = {};
  const other: string[] = [];
  for (const problem of problems) {
    const [head, ...rest] = problem.split(":");
    const name = head?.trim().split(".")[0] ?? "";
    if (rest.length && fields.some((f) => f.name === name)) byField[name] = rest.join(":").trim();
    else other.push(problem);
  }
  return { byField, other };
}
