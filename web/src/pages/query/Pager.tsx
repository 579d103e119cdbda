/** Previous / next page, where we are, and the page size. */
import { useId } from "react";
import { formatCount } from "../../format/numbers";
import { PAGE_SIZES } from "./searchState";

interface PagerProps {
  page: number;
  pageSize: number;
  totalCount: number;
  hasNextPage: boolean;
  onPage: (page: number) => void;
  /** Without it the page size is fixed. */
  onPageSize?: (size: number) => void;
  label: string;
}

export function Pager({ page, pageSize, totalCount, hasNextPage, onPage, onPageSize, label }: PagerProps) {
  const id = useId();
  const pages = Math.max(1, Math.ceil(totalCount / pageSize));
  const sizes = PAGE_SIZES.includes(pageSize as (typeof PAGE_SIZES)[number])
    ? PAGE_SIZES
    : [...PAGE_SIZES, pageSize].sort((a, b) => a - b);
  const first = page <= 1;
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        className="button-secondary"
        aria-disabled={first || undefined}
        onClick={() => !first && onPage(page - 1)}
      >
        <span aria-hidden="true">‹ </span>Previous<span className="visually-hidden"> page</span>
      </button>
      <span className="pager-position" aria-current="page">
        Page {formatCount(page)} of {formatCount(pages)}
      </span>
      <button
        type="button"
        className="button-secondary"
        aria-disabled={!hasNextPage || undefined}
        onClick={() => hasNextPage && onPage(page + 1)}
      >
        Next<span className="visually-hidden"> page</span>
        <span aria-hidden="true"> ›</span>
      </button>
      {onPageSize && (
        <>
          <label htmlFor={`${id}-size`}>Rows per page</label>
          <select id={`${id}-size`} value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
            {sizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </>
      )}
    </nav>
  );
}
