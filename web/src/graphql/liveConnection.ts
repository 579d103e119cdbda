/** The subscription websocket's state, for pages that must catch up after (re)connecting. */
import { createContext, useContext, useEffect, useRef, useState } from "react";
import type { GatewayClient } from "./client";

export const LiveConnectionContext = createContext<Pick<GatewayClient, "onConnected" | "isConnected"> | null>(null);

/**
 * True once the websocket is connected; `onConnect` runs at each (re)connection: events sent
 * while the socket was down are lost, so a page fetches again what they would have changed.
 */
export function useLiveConnection(onConnect: () => void): boolean {
  const live = useContext(LiveConnectionContext);
  const [connected, setConnected] = useState(() => live?.isConnected() ?? false);
  const callback = useRef(onConnect);
  callback.current = onConnect;
  useEffect(() => {
    if (!live) return undefined;
    setConnected(live.isConnected());
    return live.onConnected(() => {
      setConnected(true);
      callback.current();
    });
  }, [live]);
  return connected;
}
