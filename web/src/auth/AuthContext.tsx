/** Who the interface speaks for: the local user, or a signed-in user with a bearer token. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { AppConfig } from "../config/appConfig";
import { beginSignIn, clearSession, loadSession, saveSession, type Session } from "./oidc";

export interface Auth {
  config: AppConfig;
  /** True when the gateway needs a token (ESAP_OIDC_ISSUER is set). */
  required: boolean;
  session: Session | null;
  /** Why the last token was dropped (expired, refused), for the sign-in screen. */
  notice: string | null;
  signIn: (returnTo?: string) => Promise<void>;
  signOut: () => void;
  /** Called when the gateway refuses the token (HTTP 401): forget it. */
  rejected: (reason: string) => void;
  adopt: (session: Session) => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ config, children }: { config: AppConfig; children: ReactNode }) {
  const required = config.oidcIssuer !== null;
  const [session, setSession] = useState<Session | null>(() => (required ? loadSession() : null));
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!session) return undefined;
    const timer = window.setTimeout(
      () => {
        clearSession();
        setSession(null);
        setNotice("Your session has expired: sign in again.");
      },
      Math.max(0, session.expiresAt - Date.now()),
    );
    return () => window.clearTimeout(timer);
  }, [session]);

  const signIn = useCallback(
    (returnTo?: string) =>
      beginSignIn(config, returnTo ?? `${window.location.pathname}${window.location.search}`).catch((exc: unknown) =>
        setNotice(`Sign-in could not start: ${exc instanceof Error ? exc.message : String(exc)}`),
      ),
    [config],
  );
  const signOut = useCallback(() => {
    clearSession();
    setSession(null);
    setNotice("You have signed out.");
  }, []);
  const rejected = useCallback((reason: string) => {
    clearSession();
    setSession(null);
    setNotice(reason);
  }, []);
  const adopt = useCallback((next: Session) => {
    saveSession(next);
    setNotice(null);
    setSession(next);
  }, []);

  const value = useMemo(
    () => ({ config, required, session, notice, signIn, signOut, rejected, adopt }),
    [config, required, session, notice, signIn, signOut, rejected, adopt],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** The Authorization header value to send, if any. */
export function useBearer(): string | null {
  const { session } = useAuth();
  return session ? `Bearer ${session.accessToken}` : null;
}
