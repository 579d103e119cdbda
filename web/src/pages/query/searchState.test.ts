import { describe, expect, it } from "vitest";
import {
  fieldsOfParameter,
  initialValues,
  searchFromUrl,
  searchToUrl,
  toQueryParams,
  validate,
  type FormField,
} from "./searchState";

const field = (name: string, type: FormField["type"], extra: Partial<FormField> = {}): FormField => ({
  name,
  label: name.toUpperCase(),
  type,
  unit: null,
  default: null,
  description: "",
  allowedValues: [],
  required: false,
  ...extra,
});

const CONE = [field("ra", "FLOAT"), field("dec", "FLOAT"), field("radius", "FLOAT", { default: "0.1" })];

describe("search in the URL", () => {
  it("round-trips values, page and page size, leaving empty inputs out", () => {
    const url = searchToUrl({ ra: "200", dec: " 50 ", target: "", collection: "x y" }, 3, 25);
    expect(url.toString()).toBe("ra=200&dec=50&collection=x+y&page=3&pageSize=25");
    const search = searchFromUrl(url);
    expect(search).toEqual({
      values: { ra: "200", dec: "50", collection: "x y" },
      page: 3,
      pageSize: 25,
      submitted: true,
    });
  });

  it("falls back on bad pages and caps the page size", () => {
    const search = searchFromUrl(new URLSearchParams("page=-2&pageSize=99999"));
    expect(search.page).toBe(1);
    expect(search.pageSize).toBe(10000);
    expect(searchFromUrl(new URLSearchParams("ra=1")).submitted).toBe(false);
  });

  it("shows defaults before a search, the URL's values after one", () => {
    expect(initialValues(CONE, searchFromUrl(new URLSearchParams()))).toEqual({ ra: "", dec: "", radius: "0.1" });
    expect(initialValues(CONE, searchFromUrl(new URLSearchParams("ra=1&dec=2&page=1")))).toEqual({ ra: "1", dec: "2" });
  });
});

describe("validate", () => {
  it("checks ranges, numbers and required fields like the gateway", () => {
    const fields = [
      ...CONE,
      field("calibrationLevel", "ENUM", { allowedValues: ["0", "1", "2"] }),
      field("target", "STRING", { required: true }),
    ];
    expect(validate(fields, { ra: "361", dec: "abc", radius: "0", calibrationLevel: "7" })).toEqual({
      ra: "RA must be at least 0 and at most 360 degrees",
      dec: "DEC must be a number",
      radius: "RADIUS must be greater than 0 and at most 90 degrees",
      calibrationLevel: "CALIBRATIONLEVEL must be one of 0, 1, 2",
      target: "TARGET is required",
    });
  });

  it("wants RA and Dec together, and a radius with them", () => {
    expect(validate(CONE, { ra: "10", dec: "", radius: "1" })).toEqual({
      dec: "RA and Dec must be given together for a cone search",
    });
    expect(validate(CONE, { ra: "10", dec: "5", radius: "" })).toEqual({ radius: "a cone search needs a radius" });
    expect(validate(CONE, { ra: "", dec: "", radius: "0.1" })).toEqual({});
  });

  it("accepts exponents and signs", () => {
    expect(validate(CONE, { ra: "1.5e2", dec: "-4.25", radius: ".5" })).toEqual({});
  });
});

describe("toQueryParams", () => {
  it("types the values and drops a radius without a centre", () => {
    expect(
      toQueryParams({ ra: "200", dec: "-5", radius: "1.5", calibrationLevel: "2", target: " M 31 ", collection: "" }),
    ).toEqual({
      ra: 200,
      dec: -5,
      radius: 1.5,
      calibrationLevel: 2,
      target: "M 31",
    });
    expect(toQueryParams({ radius: "0.1", dataproductType: "cube" })).toEqual({ dataproductType: "cube" });
  });

  it("splits the parameters a server error names", () => {
    expect(fieldsOfParameter("ra,dec")).toEqual(["ra", "dec"]);
  });
});
