/**
 * OpenID Connect sign-in in the browser: authorization code flow with PKCE (S256), a public
 * client (no secret). The access token is kept in sessionStorage: it lives as long as the tab.
 */
import { randomString, s256Challenge } from "./pkce";
import type { AppConfig } from "../config/appConfig";

const PENDING_KEY = "esap.oidc.pending";
const SESSION_KEY = "esap.oidc.session";
export const CALLBACK_PATH = "/signin/callback";

export interface Session {
  accessToken: string;
  /** Epoch milliseconds after which the token is not sent any more. */
  expiresAt: number;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

export class SignInError extends Error {}

export function redirectUri(): string {
  return `${window.location.origin}${CALLBACK_PATH}`;
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch {
    throw new SignInError(`the sign-in service at ${issuer} cannot be reached`);
  }
  if (!response.ok) throw new SignInError(`${url} answered HTTP ${response.status}`);
  const doc = (await response.json()) as Partial<Discovery>;
  if (typeof doc.authorization_endpoint !== "string" || typeof doc.token_endpoint !== "string") {
    throw new SignInError(`${url} names no authorization or token endpoint`);
  }
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

function clientOf(config: AppConfig): { issuer: string; clientId: string } {
  if (!config.oidcIssuer || !config.oidcClientId) throw new SignInError("sign-in is not configured");
  return { issuer: config.oidcIssuer, clientId: config.oidcClientId };
}

/** Sends the browser to the issuer's sign-in page; it comes back to CALLBACK_PATH. */
export async function beginSignIn(config: AppConfig, returnTo: string): Promise<void> {
  const { issuer, clientId } = clientOf(config);
  const endpoints = await discover(issuer);
  const pending: PendingSignIn = { state: randomString(16), verifier: randomString(32), returnTo };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(endpoints.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri(),
    scope: config.oidcScope,
    state: pending.state,
    code_challenge: await s256Challenge(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.toString());
}

function takePending(): PendingSignIn | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as PendingSignIn;
  } catch {
    return null;
  }
}

export interface SignedIn {
  session: Session;
  /** The page the user was on when signing in. */
  returnTo: string;
}

/** Exchanges the code of the callback URL for an access token. */
export async function completeSignIn(config: AppConfig, search: string): Promise<SignedIn> {
  const { issuer, clientId } = clientOf(config);
  const params = new URLSearchParams(search);
  const error = params.get("error");
  if (error) {
    throw new SignInError(`sign-in was refused: ${params.get("error_description") ?? error}`);
  }
  const pending = takePending();
  const code = params.get("code");
  if (!pending || !code) throw new SignInError("no sign-in was under way in this tab; try again");
  if (params.get("state") !== pending.state) {
    throw new SignInError("the sign-in answer does not match the request (state); try again");
  }
  const endpoints = await discover(issuer);
  const response = await fetch(endpoints.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(),
      client_id: clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body["access_token"] !== "string") {
    const reason = typeof body["error_description"] === "string" ? body["error_description"] : body["error"];
    throw new SignInError(`the token request failed: ${String(reason ?? `HTTP ${response.status}`)}`);
  }
  const expiresIn = typeof body["expires_in"] === "number" ? body["expires_in"] : 3600;
  return {
    session: { accessToken: body["access_token"], expiresAt: Date.now() + expiresIn * 1000 },
    // only a path of this site: never an open redirect
    returnTo: /^\/(?!\/)/.test(pending.returnTo) ? pending.returnTo : "/",
  };
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** The stored session while its token is valid for at least 10 more seconds. */
export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (typeof session.accessToken === "string" && session.expiresAt > Date.now() + 10_000) return session;
  } catch {
    // a corrupt entry is dropped below
  }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

export function clearSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
