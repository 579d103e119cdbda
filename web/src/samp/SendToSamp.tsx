/** "Send to TOPCAT/Aladin": a table (a results page or a basket) as a VOTable URL over SAMP. */
import { useId, useState } from "react";
import { Link } from "react-router";
import { useSamp } from "./SampContext";
import { useAnnounce } from "../components/Announcer";
import { useBearer } from "../auth/AuthContext";
import { toolUrl } from "./toolUrl";

interface SendToSampProps {
  /** The VOTable's absolute URL (signed for the tool when sign-in is on). */
  url: string;
  /** The table's name in the receiving tool. */
  name: string;
}

export function SendToSamp({ url, name }: SendToSampProps) {
  const id = useId();
  const samp = useSamp();
  const bearer = useBearer();
  const announce = useAnnounce();
  const [recipient, setRecipient] = useState("");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  if (samp.status !== "connected") {
    return (
      <div className="samp-send">
        <button
          type="button"
          className="button-secondary"
          onClick={() => void samp.connect()}
          aria-disabled={samp.status === "connecting" || undefined}
        >
          {samp.status === "connecting" ? "Connecting to SAMP…" : "Connect to SAMP"}
        </button>
        {samp.error && (
          <span className="field-error" role="alert">
            {samp.error} (<Link to="/samp">about SAMP</Link>)
          </span>
        )}
      </div>
    );
  }

  const send = async () => {
    setResult(null);
    try {
      const target = await toolUrl(url, bearer);
      await samp.sendTable(target, name, recipient || null);
      const who = samp.receivers.find((r) => r.id === recipient)?.name ?? "every SAMP tool";
      const text = `Sent “${name}” to ${who}.`;
      setResult({ ok: true, text });
      announce(text);
    } catch (exc) {
      setResult({ ok: false, text: `Sending failed: ${exc instanceof Error ? exc.message : String(exc)}` });
    }
  };

  return (
    <div className="samp-send" role="group" aria-label="Send over SAMP">
      <label htmlFor={`${id}-to`}>Send to</label>
      <select
        id={`${id}-to`}
        value={recipient}
        onChange={(e) => setRecipient(e.target.value)}
        onFocus={() => void samp.refresh()}
      >
        <option value="">All table tools ({samp.receivers.length})</option>
        {samp.receivers.map((client) => (
          <option key={client.id} value={client.id}>
            {client.name}
          </option>
        ))}
      </select>
      <button type="button" className="button-secondary" onClick={() => void send()}>
        Send table
      </button>
      {result && (
        <span
          className={result.ok ? "success" : "field-error"}
          role={result.ok ? undefined : "alert"}
          data-testid="samp-result"
        >
          {result.text}
        </span>
      )}
    </div>
  );
}
