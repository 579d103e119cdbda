/**
 * The page's h1. After a client-side navigation it takes the focus, so keyboard and screen
 * reader users start at the new page's title (as after a full page load) and not on the link.
 */
import { useEffect, useRef, type ReactNode } from "react";
import { useLocation } from "react-router";

let firstPage = true;

export function PageHeading({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const { pathname } = useLocation();
  useEffect(() => {
    document.title = `${title} · ESAP`;
  }, [title]);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus({ preventScroll: false });
  }, [pathname]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-title">
      {children}
    </h1>
  );
}
