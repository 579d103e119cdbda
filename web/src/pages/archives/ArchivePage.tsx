/** One archive: everything the catalogue says, and its datasets with a link to query each. */
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PageHeading } from "../../components/PageHeading";
import { Loading, Notice, RequestError } from "../../components/Status";
import { ArchiveThumbnail } from "./ArchiveThumbnail";

const ArchiveQuery = graphql(`
  query Archive($id: ID!) {
    archive(id: $id) {
      id
      name
      shortDescription
      longDescription
      instrument
      thumbnail
      retrievalDescription
      documentationUrl
      datasets {
        id
        name
        description
        protocol
        collection
        multiQuery
      }
    }
  }
`);

const PROTOCOL_NAMES: Record<string, string> = {
  TAP: "TAP (ADQL)",
  SCS: "Simple Cone Search",
  SIA: "Simple Image Access",
};

export function ArchivePage() {
  const { archiveId = "" } = useParams();
  const [{ data, fetching, error }] = useQuery({ query: ArchiveQuery, variables: { id: archiveId } });
  const archive = data?.archive;
  if (fetching && !data) return <Loading label="Loading the archive…" />;
  if (error) return <RequestError error={error} what="the archive" />;
  if (!archive) {
    return (
      <section>
        <PageHeading title="Unknown archive">Unknown archive</PageHeading>
        <Notice kind="warning">
          No archive has the id <code>{archiveId}</code>. See <Link to="/archives">all archives</Link>.
        </Notice>
      </section>
    );
  }
  const multi = archive.datasets.filter((d) => d.multiQuery).map((d) => d.id);
  const described = archive.datasets.some((d) => d.description);
  return (
    <section>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/archives">Archives</Link> <span aria-hidden="true">›</span> <span>{archive.name}</span>
      </nav>
      <div className="archive-head">
        <ArchiveThumbnail name={archive.name} src={archive.thumbnail} size={120} />
        <div>
          <PageHeading title={archive.name}>{archive.name}</PageHeading>
          <p className="lead">{archive.shortDescription}</p>
        </div>
      </div>
      <dl className="facts">
        {archive.longDescription && (
          <>
            <dt>Description</dt>
            <dd>{archive.longDescription}</dd>
          </>
        )}
        {archive.instrument && (
          <>
            <dt>Instrument</dt>
            <dd>{archive.instrument}</dd>
          </>
        )}
        {archive.retrievalDescription && (
          <>
            <dt>Retrieval</dt>
            <dd>{archive.retrievalDescription}</dd>
          </>
        )}
        {archive.documentationUrl && (
          <>
            <dt>Documentation</dt>
            <dd>
              <a href={archive.documentationUrl} rel="noopener noreferrer" target="_blank">
                {archive.documentationUrl}
              </a>
            </dd>
          </>
        )}
      </dl>
      <h2>Datasets</h2>
      {archive.datasets.length === 0 ? (
        <p>This archive has no datasets configured.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                {described && <th scope="col">Description</th>}
                <th scope="col">Protocol</th>
                <th scope="col">Collection</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {archive.datasets.map((dataset) => (
                <tr key={dataset.id}>
                  <th scope="row">
                    {dataset.name}
                    <div className="muted small">
                      <code>{dataset.id}</code>
                    </div>
                  </th>
                  {described && <td>{dataset.description}</td>}
                  <td>{PROTOCOL_NAMES[dataset.protocol] ?? dataset.protocol}</td>
                  <td>{dataset.collection ?? ""}</td>
                  <td>
                    <Link className="button-link" to={`/query/${encodeURIComponent(dataset.id)}`}>
                      Query this dataset<span className="visually-hidden">: {dataset.name}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {multi.length > 1 && (
        <p>
          <Link to={`/multi?datasets=${multi.map(encodeURIComponent).join(",")}`}>
            Query all {multi.length} datasets of this archive at once
          </Link>
        </p>
      )}
    </section>
  );
}
