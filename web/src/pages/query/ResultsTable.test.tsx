// @vitest-environment happy-dom
import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ResultsTable, type ResultRow } from "./ResultsTable";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function rows(count: number): ResultRow[] {
  return Array.from({ length: count }, (_, i) => ({
    __typename: "Record",
    id: `rec-${i}`,
    title: `Image ${i}`,
    target: null,
    ra: 200 + i / 1000,
    dec: -5.5,
    fov: 0.25,
    dataproductType: "image",
    calibrationLevel: 2,
    collection: "survey",
    sizeBytes: 2.1e9,
    accessUrl: `https://archive.example/${i}.fits`,
    accessFormat: "image/fits",
    thumbnailUrl: i === 0 ? "https://archive.example/0.png" : null,
  }));
}

let container: HTMLDivElement | null = null;

function render(data: ResultRow[], onToggle = vi.fn(), onShowPreview = vi.fn()) {
  container = document.createElement("div");
  document.body.append(container);
  const root = createRoot(container);
  act(() =>
    root.render(
      <ResultsTable
        rows={data}
        caption="results"
        firstRowNumber={51}
        totalRows={2000}
        selected={new Set(["rec-1"])}
        onToggle={onToggle}
        onToggleAll={vi.fn()}
        onShowRecord={vi.fn()}
        onShowPreview={onShowPreview}
      />,
    ),
  );
  return { root, table: container.querySelector("table") as HTMLTableElement };
}

afterEach(() => {
  vi.restoreAllMocks();
  container?.remove();
  container = null;
});

describe("ResultsTable", () => {
  it("shows ESAP's columns, formatted, with labelled controls", () => {
    const onToggle = vi.fn();
    const onShowPreview = vi.fn();
    const { table } = render(rows(3), onToggle, onShowPreview);
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
    expect(headers).toEqual([
      "",
      "Title",
      "Collection",
      "RA (deg)",
      "Dec (deg)",
      "FoV (deg)",
      "Product type",
      "Calib.",
      "Size",
      "Data",
      "Preview",
      "Native record",
    ]);
    const first = table.querySelector("tbody tr") as HTMLTableRowElement;
    expect(first.getAttribute("aria-rowindex")).toBe("52"); // the header is row 1
    expect([...first.cells].map((c) => c.textContent)).toContain("2.10 GB");
    expect(first.textContent).toContain("200.00000");
    const boxes = table.querySelectorAll<HTMLInputElement>("tbody input[type=checkbox]");
    expect(boxes[0]?.getAttribute("aria-label")).toBe("Select Image 0");
    expect(boxes[1]?.checked).toBe(true);
    act(() => boxes[2]?.click());
    expect(onToggle).toHaveBeenCalledWith("rec-2", true);
    const preview = [...first.querySelectorAll("button")].find((b) => b.textContent?.startsWith("Preview"));
    act(() => preview?.click());
    expect(onShowPreview).toHaveBeenCalledWith(expect.objectContaining({ id: "rec-0" }));
    expect(table.querySelectorAll("tbody tr")[1]?.textContent).not.toContain("Preview");
  });

  it("renders only the rows in view of a large page", () => {
    // happy-dom lays nothing out: give the scroll area the height of a window
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(720);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1280);
    const { table } = render(rows(1000));
    expect(table.getAttribute("aria-rowcount")).toBe("2001");
    const rendered = table.querySelectorAll("tbody tr[data-record-id]").length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(100);
  });
});
