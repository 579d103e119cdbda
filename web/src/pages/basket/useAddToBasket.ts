/**
 * Puts result records in a basket: their common fields plus the native record, in calls of at
 * most the gateway's per-call limit. A record too large to keep whole goes in without it.
 */
import { useCallback, useState } from "react";
import { useClient } from "urql";
import { graphql } from "../../gql";
import type { BasketItemInput, QueryParamsInput } from "../../gql/graphql";
import { useAuth } from "../../auth/AuthContext";
import type { ResultRow } from "../query/ResultsTable";

const NativeRecordsQuery = graphql(`
  query NativeRecords($dataset: ID!, $params: QueryParamsInput!, $page: Int!, $pageSize: Int!) {
    dataset(id: $dataset) {
      id
      query(params: $params, page: $page, pageSize: $pageSize) {
        rows {
          id
          fields
        }
      }
    }
  }
`);

const AddToBasketMutation = graphql(`
  mutation AddToBasket($basket: String, $items: [BasketItemInput!]!) {
    addToBasket(basket: $basket, items: $items) {
      __typename
      ... on BasketItemsAdded {
        added
        items {
          id
          recordId
        }
        basket {
          name
          count
        }
      }
      ... on RecordTooLarge {
        recordId
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

/** Where the rows came from: the page of a query. */
export interface RowSource {
  datasetId: string;
  params: QueryParamsInput;
  page: number;
  pageSize: number;
}

export interface AddOutcome {
  added: number;
  already: number;
  withoutRecord: number;
  basket: string;
  count: number;
}

function toItem(datasetId: string, row: ResultRow, record: unknown): BasketItemInput {
  return {
    dataset: datasetId,
    recordId: row.id,
    title: row.title,
    accessUrl: row.accessUrl,
    accessFormat: row.accessFormat,
    sizeBytes: row.sizeBytes,
    ra: row.ra,
    dec: row.dec,
    record: record ?? null,
  };
}

export function useAddToBasket() {
  const client = useClient();
  const { config } = useAuth();
  const [busy, setBusy] = useState(false);

  const addBatch = useCallback(
    async (
      basket: string,
      items: BasketItemInput[],
    ): Promise<{ added: number; count: number; withoutRecord: number }> => {
      let withoutRecord = 0;
      // Each RecordTooLarge names one record: send it without its native record and retry.
      for (let attempt = 0; attempt <= items.length; attempt += 1) {
        const result = await client.mutation(AddToBasketMutation, { basket, items }).toPromise();
        if (result.error) throw new Error(result.error.message);
        const payload = result.data?.addToBasket;
        if (!payload) throw new Error("the gateway gave no answer");
        if (payload.__typename === "BasketItemsAdded") {
          return { added: payload.added, count: payload.basket.count, withoutRecord };
        }
        if (payload.__typename === "RecordTooLarge") {
          const offender = items.findIndex((item) => item.recordId === payload.recordId && item.record !== null);
          if (offender >= 0) {
            items = items.map((item, i) => (i === offender ? { ...item, record: null } : item));
            withoutRecord += 1;
            continue;
          }
        }
        throw new Error(payload.message);
      }
      throw new Error("the basket refused the records");
    },
    [client],
  );

  const add = useCallback(
    async (source: RowSource, rows: readonly ResultRow[], basket: string): Promise<AddOutcome> => {
      setBusy(true);
      try {
        const native = await client
          .query(NativeRecordsQuery, {
            dataset: source.datasetId,
            params: source.params,
            page: source.page,
            pageSize: source.pageSize,
          })
          .toPromise();
        const records = new Map<string, unknown>();
        for (const row of native.data?.dataset?.query.rows ?? []) {
          if (!records.has(row.id)) records.set(row.id, row.fields);
        }
        const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
        const items = unique.map((row) => toItem(source.datasetId, row, records.get(row.id)));
        const outcome: AddOutcome = { added: 0, already: 0, withoutRecord: 0, basket, count: 0 };
        for (let start = 0; start < items.length; start += config.basketMaxItemsPerCall) {
          const batch = items.slice(start, start + config.basketMaxItemsPerCall);
          const done = await addBatch(basket, batch);
          outcome.added += done.added;
          outcome.already += batch.length - done.added;
          outcome.withoutRecord += done.withoutRecord;
          outcome.count = done.count;
        }
        return outcome;
      } finally {
        setBusy(false);
      }
    },
    [client, config.basketMaxItemsPerCall, addBatch],
  );

  return { add, busy };
}
