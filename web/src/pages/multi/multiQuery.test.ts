import { describe, expect, it } from "vitest";
import { mergeFields } from "./mergeFields";
import { reduceStream, type StreamState } from "./useMultiQueryStream";
import type { FormField } from "../query/searchState";

const field = (name: string, type: FormField["type"], allowedValues: string[] = [], required = false): FormField => ({
  name,
  label: name,
  type,
  unit: null,
  default: null,
  description: "",
  allowedValues,
  required,
});

describe("mergeFields", () => {
  it("unites the datasets' inputs in the common order, none required", () => {
    const scs = [field("ra", "FLOAT", [], true), field("dec", "FLOAT", [], true), field("radius", "FLOAT", [], true)];
    const obscore = [
      field("ra", "FLOAT"),
      field("dec", "FLOAT"),
      field("collection", "ENUM", ["a", "b"]),
      field("target", "STRING"),
    ];
    const other = [field("collection", "ENUM", ["b", "c"])];
    const merged = mergeFields([obscore, scs, other]);
    expect(merged.map((f) => f.name)).toEqual(["target", "ra", "dec", "radius", "collection"]);
    expect(merged.every((f) => !f.required)).toBe(true);
    expect(merged.find((f) => f.name === "collection")?.allowedValues).toEqual(["a", "b", "c"]);
    const free = mergeFields([obscore, [field("collection", "STRING")]]);
    expect(free.find((f) => f.name === "collection")).toMatchObject({ type: "STRING", allowedValues: [] });
  });
});

describe("reduceStream", () => {
  it("keeps results in order of arrival, then the summary", () => {
    const start: StreamState = {
      run: "r",
      results: [],
      completed: 0,
      total: null,
      summary: null,
      error: null,
      done: false,
    };
    const result = (id: string) => ({ datasetId: id }) as never;
    let state = reduceStream(start, {
      kind: "RESULT",
      completed: 1,
      total: 2,
      result: result("b"),
      summary: null,
      error: null,
    });
    state = reduceStream(state, {
      kind: "RESULT",
      completed: 2,
      total: 2,
      result: result("a"),
      summary: null,
      error: null,
    });
    expect(state.results.map((r) => r.datasetId)).toEqual(["b", "a"]);
    expect(state.done).toBe(false);
    const summary = { datasets: 2, succeeded: 2, failed: 0, totalCount: 9, elapsedMs: 12 };
    state = reduceStream(state, { kind: "DONE", completed: 2, total: 2, result: null, summary, error: null });
    expect(state).toMatchObject({ done: true, summary, completed: 2 });
  });
});
