/** The page's SAMP connection, shared by every page: connect once, send from anywhere. */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { SampConnection, SampError, type SampClientInfo } from "./webProfile";

export type SampStatus = "disconnected" | "connecting" | "connected";

export interface Samp {
  status: SampStatus;
  receivers: SampClientInfo[];
  error: string | null;
  connect: () => Promise<void>;
  disconnect: () => Promise<void>;
  refresh: () => Promise<void>;
  /** Sends a VOTable URL; recipient null means every tool that takes tables. */
  sendTable: (url: string, name: string, recipient: string | null) => Promise<void>;
}

const SampContext = createContext<Samp | null>(null);

function message(exc: unknown): string {
  return exc instanceof SampError || exc instanceof Error ? exc.message : String(exc);
}

export function SampProvider({ children }: { children: ReactNode }) {
  const connection = useRef<SampConnection | null>(null);
  const [status, setStatus] = useState<SampStatus>("disconnected");
  const [receivers, setReceivers] = useState<SampClientInfo[]>([]);
  const [error, setError] = useState<string | null>(null);

  const drop = useCallback((reason: string | null) => {
    connection.current = null;
    setStatus("disconnected");
    setReceivers([]);
    setError(reason);
  }, []);

  const refresh = useCallback(async () => {
    const current = connection.current;
    if (!current) return;
    try {
      setReceivers(await current.tableReceivers());
    } catch (exc) {
      drop(`Lost the SAMP hub: ${message(exc)}`);
    }
  }, [drop]);

  const connect = useCallback(async () => {
    if (connection.current) return;
    setStatus("connecting");
    setError(null);
    try {
      connection.current = await SampConnection.register(
        "ESAP",
        "ESCAPE Science Analysis Platform: query results and baskets as VOTables.",
      );
      setStatus("connected");
      await refresh();
    } catch (exc) {
      drop(message(exc));
    }
  }, [refresh, drop]);

  const disconnect = useCallback(async () => {
    const current = connection.current;
    drop(null);
    await current?.unregister().catch(() => undefined);
  }, [drop]);

  const sendTable = useCallback(async (url: string, name: string, recipient: string | null) => {
    const current = connection.current;
    if (!current) throw new SampError("not connected to a SAMP hub");
    await current.sendTable(url, name, recipient);
  }, []);

  useEffect(() => {
    const leave = () => void connection.current?.unregister(true).catch(() => undefined);
    window.addEventListener("pagehide", leave);
    return () => window.removeEventListener("pagehide", leave);
  }, []);

  const value = useMemo(
    () => ({ status, receivers, error, connect, disconnect, refresh, sendTable }),
    [status, receivers, error, connect, disconnect, refresh, sendTable],
  );
  return <SampContext.Provider value={value}>{children}</SampContext.Provider>;
}

export function useSamp(): Samp {
  const samp = useContext(SampContext);
  if (!samp) throw new Error("useSamp outside SampProvider");
  return samp;
}
