/** Who is signed in; in single-user mode, a badge that says there is no sign-in. */
import { useQuery } from "urql";
import { graphql } from "../gql";
import { useAuth } from "../auth/AuthContext";

const MeQuery = graphql(`
  query Me {
    me {
      id
      name
      email
      singleUser
    }
  }
`);

function SignedInUser() {
  const { signOut } = useAuth();
  const [{ data }] = useQuery({ query: MeQuery });
  const me = data?.me;
  return (
    <div className="user">
      <span className="user-name" data-testid="user-name">
        {me ? `Signed in as ${me.name ?? me.email ?? me.id}` : "Signed in"}
      </span>
      <button type="button" className="button-secondary" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}

export function UserBadge() {
  const { required, session, signIn } = useAuth();
  if (!required) {
    return (
      <div className="user">
        <span
          className="badge badge-warning"
          data-testid="single-user-badge"
          title="No sign-in: everyone who can reach this gateway shares one local account and its baskets and jobs."
        >
          Single-user mode
        </span>
      </div>
    );
  }
  if (session) return <SignedInUser />;
  return (
    <div className="user">
      <button type="button" onClick={() => void signIn()}>
        Sign in
      </button>
    </div>
  );
}
