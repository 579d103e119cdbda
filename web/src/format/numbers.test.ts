import { describe, expect, it } from "vitest";
import { formatBytes, formatDegrees, formatMs, plural } from "./numbers";
import { notebookSnippet } from "../pages/basket/NotebookSnippet";

describe("formats", () => {
  it("writes sizes in SI units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(24_400_000)).toBe("24.4 MB");
    expect(formatBytes(2.1e9)).toBe("2.10 GB");
    expect(formatBytes(null)).toBe("");
  });

  it("writes coordinates, durations and counts", () => {
    expect(formatDegrees(200.123456789)).toBe("200.12346");
    expect(formatDegrees(undefined)).toBe("");
    expect(formatMs(87.2)).toBe("87 ms");
    expect(formatMs(1234.5)).toBe("1.23 s");
    expect(plural(1, "record")).toBe("1 record");
    expect(plural(10000, "record")).toBe("10,000 records");
  });

  it("gives a notebook snippet that sends the token only with sign-in", () => {
    const url = "http://127.0.0.1:8000/baskets/default/export.votable";
    expect(notebookSnippet(url, false)).toContain(`url = "${url}"`);
    expect(notebookSnippet(url, false)).not.toContain("Bearer");
    expect(notebookSnippet(url, true)).toContain('headers={"Authorization": f"Bearer {token}"}');
  });
});
