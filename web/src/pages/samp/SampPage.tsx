/** IVOA-SAMP: connect this page to the SAMP hub on your machine, see the tools, send tables. */
import { useEffect } from "react";
import { Link } from "react-router";
import { PageHeading } from "../../components/PageHeading";
import { Notice } from "../../components/Status";
import { useSamp } from "../../samp/SampContext";
import { HUB_URL, TABLE_LOAD } from "../../samp/webProfile";

export function SampPage() {
  const samp = useSamp();
  const { status, refresh } = samp;
  useEffect(() => {
    if (status === "connected") void refresh();
  }, [status, refresh]);
  return (
    <section>
      <PageHeading title="IVOA-SAMP">IVOA-SAMP</PageHeading>
      <p className="lead">
        SAMP connects this page to desktop tools such as TOPCAT and Aladin: results pages and baskets go to them as
        VOTables.
      </p>
      <div className="panel">
        <h2>Connection</h2>
        <p data-testid="samp-status">
          Status:{" "}
          <strong>
            {status === "connected"
              ? "connected to the SAMP hub"
              : status === "connecting"
                ? "connecting… (accept ESAP in the hub's dialog)"
                : "not connected"}
          </strong>
        </p>
        {samp.error && <Notice kind="error">{samp.error}</Notice>}
        <div className="toolbar">
          {status === "connected" ? (
            <>
              <button type="button" className="button-secondary" onClick={() => void samp.refresh()}>
                Refresh the list of tools
              </button>
              <button type="button" className="button-secondary" onClick={() => void samp.disconnect()}>
                Disconnect
              </button>
            </>
          ) : (
            <button
              type="button"
              onClick={() => void samp.connect()}
              aria-disabled={status === "connecting" || undefined}
            >
              Connect to the SAMP hub
            </button>
          )}
        </div>
        {status === "connected" && (
          <>
            <h3>Tools that take tables</h3>
            {samp.receivers.length === 0 ? (
              <p>No connected tool accepts tables ({TABLE_LOAD}). Start TOPCAT or Aladin, then refresh.</p>
            ) : (
              <ul data-testid="samp-clients">
                {samp.receivers.map((client) => (
                  <li key={client.id}>
                    <strong>{client.name}</strong>
                    {client.description && <span className="muted"> · {client.description}</span>}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
      <div className="panel">
        <h2>How it works</h2>
        <ol>
          <li>Start a SAMP hub: TOPCAT and Aladin start one when none runs.</li>
          <li>
            Connect here. The hub asks whether to accept “ESAP”: accept. (The page talks to the hub at{" "}
            <code>{HUB_URL}</code>, the SAMP Web Profile.)
          </li>
          <li>
            On a <Link to="/archives">query's results</Link> or in the <Link to="/basket">basket</Link>, use “Send
            table”: the tool loads the VOTable from this gateway.
          </li>
        </ol>
      </div>
    </section>
  );
}
