import { Link } from "react-router";
import { PageHeading } from "../components/PageHeading";

export function NotFoundPage() {
  return (
    <section className="panel narrow">
      <PageHeading title="Not found">Page not found</PageHeading>
      <p>
        There is no page at this address. Start from the <Link to="/archives">archives</Link>.
      </p>
    </section>
  );
}
