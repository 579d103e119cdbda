/** The GraphQL client: HTTP for queries and mutations, graphql-ws for subscriptions. */
import { Client, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { graphCache } from "./cache";

export interface ClientOptions {
  graphqlPath: string;
  /** `Bearer <token>` when signed in. */
  authorization: string | null;
  /** The gateway refused the token (HTTP 401 or websocket close 4401/4403). */
  onUnauthorized: (reason: string) => void;
}

export interface GatewayClient {
  client: Client;
  /** Calls `listener` each time the websocket is (re)connected; returns the unsubscribe. */
  onConnected: (listener: () => void) => () => void;
  /** True while the websocket is open and acknowledged. */
  isConnected: () => boolean;
  dispose: () => void;
}

function websocketUrl(path: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

async function unauthorizedReason(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { message?: unknown };
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON: the status says enough
  }
  return `the gateway refused the request (HTTP ${response.status})`;
}

export function createGatewayClient(options: ClientOptions): GatewayClient {
  const { graphqlPath, authorization, onUnauthorized } = options;
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const listeners = new Set<() => void>();
  let connected = false;

  const ws: WsClient = createWsClient({
    url: websocketUrl(graphqlPath),
    connectionParams: authorization ? { Authorization: authorization } : {},
    lazy: true,
    retryAttempts: 5,
    shouldRetry: (event) => !(event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)),
    on: {
      connected: () => {
        connected = true;
        for (const listener of listeners) listener();
      },
      closed: (event) => {
        connected = false;
        if (event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)) {
          onUnauthorized("The gateway refused your sign-in: sign in again.");
        }
      },
    },
  });

  const client = new Client({
    url: graphqlPath,
    exchanges: [
      graphCache(),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: { headers },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) onUnauthorized(await unauthorizedReason(response));
      return response;
    },
    requestPolicy: "cache-first",
  });

  return {
    client,
    onConnected: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isConnected: () => connected,
    dispose: () => void ws.dispose(),
  };
}
