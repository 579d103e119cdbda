/** Shown instead of a page while sign-in is on and nobody is signed in. */
import { useAuth } from "../auth/AuthContext";
import { PageHeading } from "../components/PageHeading";
import { Notice } from "../components/Status";

export function SignInRequired() {
  const { signIn, notice, config } = useAuth();
  return (
    <section className="panel narrow">
      <PageHeading title="Sign in">Sign in to ESAP</PageHeading>
      {notice && <Notice kind="warning">{notice}</Notice>}
      <p>
        This gateway keeps baskets and jobs per user. Sign in with your account at <strong>{config.oidcIssuer}</strong>{" "}
        to continue.
      </p>
      <button type="button" onClick={() => void signIn()}>
        Sign in
      </button>
    </section>
  );
}
