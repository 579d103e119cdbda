/** Where the issuer sends the browser back: exchange the code, then return to the page. */
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { completeSignIn } from "../auth/oidc";
import { PageHeading } from "../components/PageHeading";
import { Loading, Notice } from "../components/Status";

export function SignInCallback() {
  const { config, adopt } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return; // the code is single-use: never exchange it twice
    started.current = true;
    completeSignIn(config, window.location.search).then(
      ({ session, returnTo }) => {
        adopt(session);
        navigate(returnTo, { replace: true });
      },
      (exc: unknown) => setError(exc instanceof Error ? exc.message : String(exc)),
    );
  }, [config, adopt, navigate]);
  return (
    <section className="panel narrow">
      <PageHeading title="Signing in">Signing in</PageHeading>
      {error ? <Notice kind="error">{error}</Notice> : <Loading label="Completing sign-in…" />}
    </section>
  );
}
