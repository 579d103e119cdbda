/** The navigation bar. Pages of later features (Interactive and Batch Analysis) join NAV_ITEMS. */
import { NavLink } from "react-router";
import { UserBadge } from "./UserBadge";

export interface NavItem {
  to: string;
  label: string;
}

/** In ESAP's order; Interactive Analysis and Batch Analysis go between Multi Query and Jobs. */
export const NAV_ITEMS: readonly NavItem[] = [
  { to: "/archives", label: "Archives" },
  { to: "/multi", label: "Multi Query" },
  { to: "/jobs", label: "Asynchronous Jobs" },
  { to: "/basket", label: "Basket" },
  { to: "/samp", label: "IVOA-SAMP" },
];

export function NavBar() {
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="topbar-inner">
        <NavLink to="/" className="brand" aria-label="ESAP home">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>ESAP</span>
        </NavLink>
        <nav aria-label="Main">
          <ul className="nav-list">
            {NAV_ITEMS.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} className={({ isActive }) => (isActive ? "nav-link active" : "nav-link")}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <UserBadge />
      </div>
    </header>
  );
}
