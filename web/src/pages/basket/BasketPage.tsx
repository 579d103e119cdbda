/** A basket: its items, remove and clear, exports, the notebook snippet, and SAMP. */
import { useEffect, useId, useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useAuth } from "../../auth/AuthContext";
import { useAnnounce } from "../../components/Announcer";
import { DownloadLink } from "../../components/DownloadLink";
import { PageHeading } from "../../components/PageHeading";
import { Loading, Notice, RequestError } from "../../components/Status";
import { formatBytes, formatCount, formatDegrees, formatInstant, plural } from "../../format/numbers";
import { SendToSamp } from "../../samp/SendToSamp";
import { Pager } from "../query/Pager";
import { useSelection } from "../query/useSelection";
import { BASKET_NAME, DEFAULT_BASKET, useCurrentBasket } from "./currentBasket";
import { NotebookSnippet } from "./NotebookSnippet";

const BasketQuery = graphql(`
  query Basket($name: String!, $offset: Int!, $limit: Int!) {
    baskets {
      name
      count
      isDefault
    }
    basket(name: $name) {
      name
      count
      isDefault
      createdAt
      votable: exportUrl(format: VOTABLE)
      csv: exportUrl(format: CSV)
      json: exportUrl(format: JSON)
      items(offset: $offset, limit: $limit) {
        id
        datasetId
        datasetAvailable
        dataset {
          id
          name
        }
        recordId
        title
        accessUrl
        accessFormat
        sizeBytes
        ra
        dec
        addedAt
      }
    }
  }
`);

const RemoveItemsMutation = graphql(`
  mutation RemoveFromBasket($ids: [ID!]!) {
    removeFromBasket(ids: $ids) {
      __typename
      ... on BasketItemsRemoved {
        removed
      }
      ... on Error {
        message
      }
    }
  }
`);

const ClearBasketMutation = graphql(`
  mutation ClearBasket($basket: String!) {
    clearBasket(basket: $basket) {
      __typename
      ... on BasketCleared {
        removed
      }
      ... on Error {
        message
      }
    }
  }
`);

const DeleteBasketMutation = graphql(`
  mutation DeleteBasket($basket: String!) {
    deleteBasket(basket: $basket) {
      __typename
      ... on BasketDeleted {
        existed
      }
      ... on Error {
        message
      }
    }
  }
`);

const ITEMS_PER_PAGE = 100;

function BasketSwitcher({
  current,
  baskets,
}: {
  current: string;
  baskets: readonly { name: string; count: number }[];
}) {
  const id = useId();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const invalid = name !== "" && !BASKET_NAME.test(name);
  return (
    <div className="basket-switcher">
      <nav aria-label="Baskets">
        <ul className="tabs">
          {baskets.map((b) => (
            <li key={b.name}>
              <Link
                to={`/basket/${encodeURIComponent(b.name)}`}
                aria-current={b.name === current ? "page" : undefined}
                className="tab"
              >
                {b.name} <span className="badge">{formatCount(b.count)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (BASKET_NAME.test(name)) navigate(`/basket/${encodeURIComponent(name)}`);
        }}
      >
        <label htmlFor={`${id}-new`}>Open or start a basket</label>
        <input
          id={`${id}-new`}
          className="input-short"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={invalid || undefined}
          aria-describedby={`${id}-hint`}
          autoComplete="off"
        />
        <button type="submit" className="button-secondary">
          Open
        </button>
        <span id={`${id}-hint`} className={invalid ? "field-error" : "help"}>
          1 to 64 letters, digits, _ . or -; a basket is kept once something is added to it.
        </span>
      </form>
    </div>
  );
}

export function BasketPage() {
  const { name: routeName } = useParams();
  const [current, setCurrent] = useCurrentBasket();
  const name = routeName ?? current ?? DEFAULT_BASKET;
  const [searchParams, setSearchParams] = useSearchParams();
  const itemsPage = Math.max(1, Number.parseInt(searchParams.get("page") ?? "1", 10) || 1);
  const offset = (itemsPage - 1) * ITEMS_PER_PAGE;
  useEffect(() => {
    if (BASKET_NAME.test(name)) setCurrent(name);
  }, [name, setCurrent]);
  const { required } = useAuth();
  const announce = useAnnounce();
  const navigate = useNavigate();

  const [{ data, fetching, error }] = useQuery({
    query: BasketQuery,
    variables: { name, offset, limit: ITEMS_PER_PAGE },
    requestPolicy: "cache-and-network",
  });
  const basket = data?.basket;
  const items = useMemo(() => basket?.items ?? [], [basket]);
  const { selected, toggle, toggleAll, clear } = useSelection(items);
  const [confirm, setConfirm] = useState<"clear" | "delete" | null>(null);
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, removeItems] = useMutation(RemoveItemsMutation);
  const [, clearBasket] = useMutation(ClearBasketMutation);
  const [, deleteBasket] = useMutation(DeleteBasketMutation);

  const report = (kind: "success" | "error", text: string) => {
    setMessage({ kind, text });
    if (kind === "success") announce(text);
  };

  if (!BASKET_NAME.test(name)) {
    return (
      <section>
        <PageHeading title="Basket">Basket</PageHeading>
        <Notice kind="error">“{name}” is not a basket name: use 1 to 64 letters, digits, _ . or -.</Notice>
      </section>
    );
  }
  if (fetching && !data) return <Loading label="Loading the basket…" />;
  if (error && !data) return <RequestError error={error} what="the basket" />;
  if (!basket || !data) return null;

  const remove = async () => {
    const ids = [...selected];
    if (ids.length === 0) return;
    const result = await removeItems({ ids });
    const payload = result.data?.removeFromBasket;
    if (payload?.__typename === "BasketItemsRemoved") {
      clear();
      report("success", `Removed ${plural(payload.removed, "item")} from basket ${name}.`);
    } else {
      report(
        "error",
        result.error?.message ?? (payload && "message" in payload ? payload.message : "Nothing was removed."),
      );
    }
  };
  const clearAll = async () => {
    setConfirm(null);
    const result = await clearBasket({ basket: name });
    const payload = result.data?.clearBasket;
    if (payload?.__typename === "BasketCleared")
      report("success", `Basket ${name} is empty (${plural(payload.removed, "item")} removed).`);
    else
      report(
        "error",
        result.error?.message ?? (payload && "message" in payload ? payload.message : "The basket was not cleared."),
      );
  };
  const deleteAll = async () => {
    setConfirm(null);
    const result = await deleteBasket({ basket: name });
    const payload = result.data?.deleteBasket;
    if (payload?.__typename === "BasketDeleted") {
      announce(`Basket ${name} deleted.`);
      navigate("/basket/default");
    } else
      report(
        "error",
        result.error?.message ?? (payload && "message" in payload ? payload.message : "The basket was not deleted."),
      );
  };

  const ticked = items.filter((item) => selected.has(item.id)).length;
  return (
    <section>
      <PageHeading title={`Basket ${name}`}>Basket “{name}”</PageHeading>
      <BasketSwitcher current={name} baskets={data.baskets} />
      <p className="results-summary" data-testid="basket-count">
        <strong>{plural(basket.count, "item")}</strong>
        {basket.createdAt ? ` · started ${formatInstant(basket.createdAt)}` : " · nothing added yet"}
      </p>

      <div className="results-actions">
        <div className="toolbar" role="group" aria-label="Export">
          <span>Download</span>
          <DownloadLink href={basket.votable} filename={`${name}.vot`} className="button-link">
            VOTable
          </DownloadLink>
          <DownloadLink href={basket.csv} filename={`${name}.csv`} className="button-link">
            CSV
          </DownloadLink>
          <DownloadLink href={basket.json} filename={`${name}.json`} className="button-link">
            JSON
          </DownloadLink>
        </div>
        {basket.count > 0 && <SendToSamp url={basket.votable} name={`ESAP basket ${name}`} />}
      </div>

      {items.length > 0 && (
        <div className="toolbar" role="group" aria-label="Change the basket">
          <button
            type="button"
            className="button-secondary"
            aria-disabled={ticked === 0 || undefined}
            onClick={() => void remove()}
          >
            Remove selected ({ticked})
          </button>
          {confirm === "clear" ? (
            <>
              <button type="button" className="button-danger" onClick={() => void clearAll()}>
                Yes, remove all {formatCount(basket.count)} items
              </button>
              <button type="button" className="button-secondary" onClick={() => setConfirm(null)}>
                Keep them
              </button>
            </>
          ) : (
            <button type="button" className="button-secondary" onClick={() => setConfirm("clear")}>
              Clear basket
            </button>
          )}
        </div>
      )}
      {!basket.isDefault && basket.createdAt && (
        <div className="toolbar">
          {confirm === "delete" ? (
            <>
              <button type="button" className="button-danger" onClick={() => void deleteAll()}>
                Yes, delete basket {name}
              </button>
              <button type="button" className="button-secondary" onClick={() => setConfirm(null)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" className="button-secondary" onClick={() => setConfirm("delete")}>
              Delete basket {name}
            </button>
          )}
        </div>
      )}
      {message && (
        <p
          className={message.kind === "error" ? "field-error" : "success"}
          role={message.kind === "error" ? "alert" : undefined}
          data-testid="basket-page-message"
        >
          {message.text}
        </p>
      )}

      {items.length === 0 ? (
        <p>
          This basket is empty. Tick records in <Link to="/archives">a query's results</Link> or a{" "}
          <Link to="/multi">multi-query</Link> to add them.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="basket-items">
            <caption className="visually-hidden">Items of basket {name}</caption>
            <thead>
              <tr>
                <th scope="col" className="cell-check">
                  <input
                    type="checkbox"
                    aria-label="Select every item shown"
                    checked={ticked === items.length}
                    onChange={(e) => toggleAll(e.target.checked)}
                  />
                </th>
                <th scope="col">Title</th>
                <th scope="col">Dataset</th>
                <th scope="col">Record id</th>
                <th scope="col" className="num">
                  RA <span className="unit">(deg)</span>
                </th>
                <th scope="col" className="num">
                  Dec <span className="unit">(deg)</span>
                </th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Data</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => {
                const title = item.title ?? item.recordId;
                return (
                  <tr key={item.id} data-record-id={item.recordId}>
                    <td className="cell-check">
                      <input
                        type="checkbox"
                        checked={selected.has(item.id)}
                        onChange={(e) => toggle(item.id, e.target.checked)}
                        aria-label={`Select ${title}`}
                      />
                    </td>
                    <th scope="row" className="cell-title">
                      {title}
                    </th>
                    <td>
                      {item.dataset ? (
                        <Link to={`/query/${encodeURIComponent(item.dataset.id)}`}>{item.dataset.name}</Link>
                      ) : (
                        <span title="This dataset is no longer configured">{item.datasetId} (gone)</span>
                      )}
                    </td>
                    <td>
                      <code className="small">{item.recordId}</code>
                    </td>
                    <td className="num">{formatDegrees(item.ra)}</td>
                    <td className="num">{formatDegrees(item.dec)}</td>
                    <td className="num">{formatBytes(item.sizeBytes)}</td>
                    <td>
                      {item.accessUrl && (
                        <a
                          href={item.accessUrl}
                          target="_blank"
                          rel="noopener noreferrer"
                          title={item.accessFormat ?? undefined}
                        >
                          Download<span className="visually-hidden"> {title}</span>
                        </a>
                      )}
                    </td>
                    <td>{formatInstant(item.addedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {basket.count > ITEMS_PER_PAGE && (
        <Pager
          page={Math.floor(offset / ITEMS_PER_PAGE) + 1}
          pageSize={ITEMS_PER_PAGE}
          totalCount={basket.count}
          hasNextPage={offset + ITEMS_PER_PAGE < basket.count}
          onPage={(page) => setSearchParams({ page: String(page) })}
          label="Pages of the basket"
        />
      )}
      <NotebookSnippet exportUrl={basket.votable} signIn={required} />
    </section>
  );
}
