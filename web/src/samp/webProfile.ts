/**
 * A SAMP Web Profile client (IVOA SAMP 1.3 §5): the page registers with the hub on the user's
 * machine at http://localhost:21012/ over XML-RPC and sends messages to the tools connected to
 * it (TOPCAT, Aladin, ...). The hub asks the user to accept the page the first time.
 */
import { decodeResponse, encodeCall, type XmlRpcValue } from "./xmlrpc";

export const HUB_URL = "http://localhost:21012/";
export const TABLE_LOAD = "table.load.votable";

export interface SampClientInfo {
  id: string;
  name: string;
  description: string;
}

export class SampError extends Error {}

async function call(
  method: string,
  params: readonly XmlRpcValue[],
  hubUrl: string,
  keepalive = false,
): Promise<XmlRpcValue> {
  let response: Response;
  try {
    response = await fetch(hubUrl, {
      method: "POST",
      headers: { "Content-Type": "text/xml" },
      body: encodeCall(method, params),
      keepalive,
    });
  } catch {
    throw new SampError(
      `no SAMP hub answers at ${hubUrl}: start TOPCAT or Aladin (they run a hub), then connect again`,
    );
  }
  if (!response.ok) throw new SampError(`the SAMP hub answered HTTP ${response.status}`);
  return decodeResponse(await response.text());
}

function struct(value: XmlRpcValue): Record<string, XmlRpcValue> {
  return typeof value === "object" && !Array.isArray(value) ? value : {};
}

export class SampConnection {
  private constructor(
    private readonly privateKey: string,
    readonly selfId: string,
    private readonly hubUrl: string,
  ) {}

  /** Registers with the hub (the user may have to accept) and declares who we are. */
  static async register(name: string, description: string, hubUrl = HUB_URL): Promise<SampConnection> {
    const answer = struct(await call("samp.webhub.register", [{ "samp.name": name }], hubUrl));
    const key = answer["samp.private-key"];
    if (typeof key !== "string") throw new SampError("the SAMP hub refused the registration");
    const connection = new SampConnection(key, String(answer["samp.self-id"] ?? ""), hubUrl);
    await connection.call("samp.webhub.declareMetadata", [
      {
        "samp.name": name,
        "samp.description.text": description,
        "samp.icon.url": new URL("/favicon.svg", window.location.href).toString(),
      },
    ]);
    return connection;
  }

  private call(method: string, params: readonly XmlRpcValue[], keepalive = false): Promise<XmlRpcValue> {
    return call(method, [this.privateKey, ...params], this.hubUrl, keepalive);
  }

  /** The tools that accept VOTables, with their names. */
  async tableReceivers(): Promise<SampClientInfo[]> {
    const subscribed = struct(await this.call("samp.webhub.getSubscribedClients", [TABLE_LOAD]));
    const clients = await Promise.all(
      Object.keys(subscribed)
        .filter((id) => id !== this.selfId)
        .map(async (id) => {
          const meta = struct(await this.call("samp.webhub.getMetadata", [id]));
          return {
            id,
            name: String(meta["samp.name"] ?? id),
            description: String(meta["samp.description.text"] ?? ""),
          };
        }),
    );
    return clients.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Asks one tool (or every tool, when `recipient` is null) to load the VOTable at `url`. */
  async sendTable(url: string, name: string, recipient: string | null): Promise<void> {
    const message = {
      "samp.mtype": TABLE_LOAD,
      "samp.params": { url, "table-id": url, name },
    };
    if (recipient) await this.call("samp.webhub.notify", [recipient, message]);
    else await this.call("samp.webhub.notifyAll", [message]);
  }

  /** Leaves the hub; `keepalive` lets the request finish while the page unloads. */
  async unregister(keepalive = false): Promise<void> {
    await this.call("samp.webhub.unregister", [], keepalive);
  }
}
