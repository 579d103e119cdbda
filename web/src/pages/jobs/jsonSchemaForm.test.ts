import { describe, expect, it } from "vitest";
import { initialSchemaValues, problemsByField, schemaFields, toParameters } from "./jsonSchemaForm";

// What pydantic writes for the gateway's worker types (services/job_types).
const TAP = {
  additionalProperties: false,
  properties: {
    dataset: { description: "Id of a TAP dataset of the catalogue.", minLength: 1, title: "Dataset", type: "string" },
    query: { description: "The ADQL query.", maxLength: 100000, minLength: 1, title: "Query", type: "string" },
    maxrec: { anyOf: [{ minimum: 1, type: "integer" }, { type: "null" }], default: null, title: "Maxrec" },
  },
  required: ["dataset", "query"],
  type: "object",
};
const SLEEP = {
  properties: {
    seconds: { default: 0.0, maximum: 3600, minimum: 0, title: "Seconds", type: "number" },
    fail: {
      anyOf: [{ enum: ["usage", "transient", "fatal"], type: "string" }, { type: "null" }],
      default: null,
      title: "Fail",
    },
  },
  type: "object",
};
const MULTI = {
  properties: {
    datasets: { items: { type: "string" }, maxItems: 100, minItems: 1, title: "Datasets", type: "array" },
    calibrationLevel: { anyOf: [{ type: "integer" }, { type: "null" }], default: null, title: "Calibrationlevel" },
  },
  required: ["datasets"],
  type: "object",
};

describe("schemaFields", () => {
  it("reads types, nullability, bounds and required names", () => {
    const [dataset, query, maxrec] = schemaFields(TAP);
    expect(dataset).toMatchObject({ name: "dataset", kind: "string", required: true, minLength: 1 });
    expect(query?.maxLength).toBe(100000);
    expect(maxrec).toMatchObject({ kind: "integer", nullable: true, required: false, minimum: 1, defaultText: "" });
    const [seconds, fail] = schemaFields(SLEEP);
    expect(seconds).toMatchObject({ kind: "number", defaultText: "0", maximum: 3600 });
    expect(fail).toMatchObject({ kind: "enum", options: ["usage", "transient", "fatal"], nullable: true });
    const [datasets, level] = schemaFields(MULTI);
    expect(datasets).toMatchObject({ kind: "array", itemKind: "string", minItems: 1 });
    expect(level?.label).toBe("Calibration level");
  });
});

describe("toParameters", () => {
  it("converts values, leaves empty optional ones to the defaults", () => {
    const fields = schemaFields(TAP);
    const values = { ...initialSchemaValues(fields), dataset: "ds", query: "SELECT 1" };
    expect(toParameters(fields, values)).toEqual({ parameters: { dataset: "ds", query: "SELECT 1" }, errors: {} });
    expect(toParameters(fields, { ...values, maxrec: "10" }).parameters["maxrec"]).toBe(10);
  });

  it("reports each problem at its field", () => {
    const fields = [...schemaFields(TAP), ...schemaFields(SLEEP)];
    const { errors } = toParameters(fields, { dataset: "", query: "x", maxrec: "0.5", seconds: "9000", fail: "maybe" });
    expect(errors).toEqual({
      dataset: "Dataset is required",
      maxrec: "must be a whole number",
      seconds: "must be at most 3600",
      fail: "must be one of usage, transient, fatal",
    });
  });

  it("splits arrays on lines and commas", () => {
    const fields = schemaFields(MULTI);
    expect(toParameters(fields, { datasets: "a, b\nc\n" }).parameters).toEqual({ datasets: ["a", "b", "c"] });
    expect(toParameters(fields, { datasets: "" }).errors).toEqual({ datasets: "Datasets is required" });
  });

  it("maps the gateway's problems to fields", () => {
    expect(problemsByField(["dataset: Field required", "parameters: extra"], schemaFields(TAP))).toEqual({
      byField: { dataset: "Field required" },
      other: ["parameters: extra"],
    });
  });
});
