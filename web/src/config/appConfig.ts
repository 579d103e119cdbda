/** What the gateway tells the interface at start-up (GET /app-config.json). */
export interface AppConfig {
  /** OpenID Connect issuer; null in single-user mode (no sign-in). */
  oidcIssuer: string | null;
  /** Public client id the interface signs in as (authorization code + PKCE). */
  oidcClientId: string | null;
  /** Scopes asked for at sign-in. */
  oidcScope: string;
  /** True when every caller is the one local user. */
  singleUser: boolean;
  /** Path of the GraphQL endpoint (HTTP and websocket). */
  graphqlPath: string;
  /** Most items one addToBasket call takes. */
  basketMaxItemsPerCall: number;
}

export class AppConfigError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === null || value === undefined || value === "") return null;
  if (typeof value !== "string") throw new AppConfigError(`app-config.json: ${key} must be a string`);
  return value;
}

/** Checks the JSON the gateway sent; throws AppConfigError naming the bad key. */
export function parseAppConfig(raw: unknown): AppConfig {
  if (!isRecord(raw)) throw new AppConfigError("app-config.json is not a JSON object");
  const oidcIssuer = optionalString(raw, "oidcIssuer");
  const oidcClientId = optionalString(raw, "oidcClientId");
  if (oidcIssuer && !oidcClientId) {
    throw new AppConfigError("sign-in is on (oidcIssuer) but no client id is configured: set ESAP_OIDC_CLIENT_ID");
  }
  const limit = raw["basketMaxItemsPerCall"];
  return {
    oidcIssuer,
    oidcClientId,
    oidcScope: optionalString(raw, "oidcScope") ?? "openid profile email",
    singleUser: raw["singleUser"] === true,
    graphqlPath: optionalString(raw, "graphqlPath") ?? "/graphql",
    basketMaxItemsPerCall: typeof limit === "number" && limit >= 1 ? Math.floor(limit) : 500,
  };
}

export async function loadAppConfig(): Promise<AppConfig> {
  const response = await fetch("/app-config.json", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new AppConfigError(`GET /app-config.json answered HTTP ${response.status}`);
  return parseAppConfig(await response.json());
}
