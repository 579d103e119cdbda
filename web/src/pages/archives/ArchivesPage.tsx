/** The archives as cards: picture, name, short description, number of datasets. */
import { useEffect } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PageHeading } from "../../components/PageHeading";
import { Loading, RequestError } from "../../components/Status";
import { markOnce } from "../../format/marks";
import { plural } from "../../format/numbers";
import { ArchiveThumbnail } from "./ArchiveThumbnail";

const ArchivesQuery = graphql(`
  query Archives {
    archives {
      id
      name
      shortDescription
      thumbnail
      datasets {
        id
      }
    }
  }
`);

export function ArchivesPage() {
  const [{ data, fetching, error }] = useQuery({ query: ArchivesQuery });
  useEffect(() => {
    if (data) markOnce("esap:archives:rendered");
  }, [data]);
  return (
    <section>
      <PageHeading title="Archives">Archives</PageHeading>
      <p className="lead">Data archives this gateway queries. Open one to see its datasets and query them.</p>
      {fetching && !data && <Loading label="Loading archives…" />}
      {error && <RequestError error={error} what="the archives" />}
      {data && (
        <ul className="cards" aria-label="Archives">
          {data.archives.map((archive) => (
            <li key={archive.id} className="card">
              <ArchiveThumbnail name={archive.name} src={archive.thumbnail} />
              <div className="card-body">
                <h2 className="card-title">
                  <Link to={`/archives/${encodeURIComponent(archive.id)}`}>{archive.name}</Link>
                </h2>
                <p>{archive.shortDescription}</p>
                <p className="muted">{plural(archive.datasets.length, "dataset")}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
