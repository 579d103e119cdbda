/** Above a results table: which basket, and add the ticked records or the whole page to it. */
import { useId, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { useAnnounce } from "../../components/Announcer";
import { plural } from "../../format/numbers";
import { BASKET_NAME, useCurrentBasket } from "./currentBasket";
import { useAddToBasket, type RowSource } from "./useAddToBasket";
import type { ResultRow } from "../query/ResultsTable";

const BasketNamesQuery = graphql(`
  query BasketNames {
    baskets {
      name
      count
    }
  }
`);

interface AddToBasketBarProps {
  source: RowSource;
  rows: readonly ResultRow[];
  selected: ReadonlySet<string>;
  onAdded: () => void;
}

export function AddToBasketBar({ source, rows, selected, onAdded }: AddToBasketBarProps) {
  const id = useId();
  const [current, setCurrent] = useCurrentBasket();
  const [name, setName] = useState(current);
  const [{ data }] = useQuery({ query: BasketNamesQuery });
  const { add, busy } = useAddToBasket();
  const announce = useAnnounce();
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const nameError = BASKET_NAME.test(name) ? null : "1 to 64 letters, digits, _ . or -";

  const run = async (picked: readonly ResultRow[]) => {
    // aria-disabled, not disabled: a focused button keeps the focus after adding
    if (busy || nameError || picked.length === 0) return;
    setCurrent(name);
    setMessage(null);
    try {
      const outcome = await add(source, picked, name);
      const parts = [`Added ${plural(outcome.added, "record")} to basket ${outcome.basket}`];
      if (outcome.already) parts.push(`${plural(outcome.already, "record was", "records were")} already there`);
      if (outcome.withoutRecord)
        parts.push(
          `${plural(outcome.withoutRecord, "record is", "records are")} kept without the native columns (too large)`,
        );
      const text = `${parts.join("; ")}. The basket holds ${plural(outcome.count, "item")}.`;
      setMessage({ kind: "success", text });
      announce(text);
      onAdded();
    } catch (exc) {
      const text = `Nothing was added: ${exc instanceof Error ? exc.message : String(exc)}`;
      setMessage({ kind: "error", text });
    }
  };

  const ticked = rows.filter((row) => selected.has(row.id));
  return (
    <div className="toolbar" role="group" aria-label="Add to basket">
      <label htmlFor={`${id}-basket`}>Basket</label>
      <input
        id={`${id}-basket`}
        className="input-short"
        list={`${id}-baskets`}
        value={name}
        onChange={(e) => setName(e.target.value)}
        aria-invalid={nameError ? true : undefined}
        aria-describedby={nameError ? `${id}-error` : undefined}
        autoComplete="off"
      />
      <datalist id={`${id}-baskets`}>
        {data?.baskets.map((b) => (
          <option key={b.name} value={b.name}>{`${b.name} (${b.count})`}</option>
        ))}
      </datalist>
      <button
        type="button"
        onClick={() => void run(ticked)}
        aria-disabled={busy || ticked.length === 0 || nameError !== null || undefined}
      >
        Add selected ({ticked.length})
      </button>
      <button
        type="button"
        className="button-secondary"
        onClick={() => void run(rows)}
        aria-disabled={busy || rows.length === 0 || nameError !== null || undefined}
      >
        Add whole page ({rows.length})
      </button>
      <Link to={`/basket/${encodeURIComponent(BASKET_NAME.test(name) ? name : "default")}`}>Open basket</Link>
      {nameError && (
        <span id={`${id}-error`} className="field-error">
          {nameError}
        </span>
      )}
      {message && (
        <p
          className={message.kind === "error" ? "toolbar-message field-error" : "toolbar-message success"}
          role={message.kind === "error" ? "alert" : undefined}
          data-testid="basket-message"
        >
          {message.text}
        </p>
      )}
    </div>
  );
}
