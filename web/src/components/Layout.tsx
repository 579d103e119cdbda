/** The frame of every page: navigation bar, then the page in <main>. */
import { Outlet, useLocation } from "react-router";
import { NavBar } from "./NavBar";
import { useAuth } from "../auth/AuthContext";
import { SignInRequired } from "../pages/SignInRequired";
import { CALLBACK_PATH } from "../auth/oidc";

export function Layout() {
  const { required, session } = useAuth();
  const { pathname } = useLocation();
  const gated = required && !session && pathname !== CALLBACK_PATH;
  return (
    <>
      <NavBar />
      <main id="main" className="main" tabIndex={-1}>
        {gated ? <SignInRequired /> : <Outlet />}
      </main>
      <footer className="footer">
        <p>
          ESAP GraphQL gateway · <a href="/graphql">GraphiQL</a> · <a href="/health">health</a>
        </p>
      </footer>
    </>
  );
}
