// A second, small subgraph for the federation tests: a publication index that
// extends esap-graphql's Dataset entity with the papers that used it.
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

export const typeDefs = parse(`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

  # A dataset of esap-graphql, as the publication index knows it; the index keeps
  # the catalogue's name with each record, so it can answer it too (@shareable).
  type Dataset @key(fields: "id") {
    id: ID!
    name: String! @shareable
    "Papers that used the dataset, newest first."
    publications: [Publication!]!
    "How many papers used the dataset."
    citationCount: Int!
  }

  "A paper."
  type Publication {
    bibcode: String!
    title: String!
    year: Int!
    "The datasets the paper used."
    datasets: [Dataset!]!
  }

  type Query {
    "Every indexed paper."
    publications: [Publication!]!
    "Datasets the index recommends, most cited first."
    featuredDatasets: [Dataset!]!
  }
`);

// data: {datasets: {id: name}, publications: [{bibcode, title, year, datasets: [id]}]}
export function resolversFor(data) {
  const papers = data.publications;
  const datasetRef = (id) => ({ id, name: data.datasets[id] });
  const usedBy = (id) =>
    papers.filter((p) => p.datasets.includes(id)).sort((a, b) => b.year - a.year);
  return {
    Query: {
      publications: () => papers,
      featuredDatasets: () =>
        Object.keys(data.datasets)
          .sort((a, b) => usedBy(b).length - usedBy(a).length || a.localeCompare(b))
          .map(datasetRef),
    },
    Dataset: {
      __resolveReference: (ref) => ({ ...ref, name: data.datasets[ref.id] ?? ref.name }),
      publications: (dataset) => usedBy(dataset.id),
      citationCount: (dataset) => usedBy(dataset.id).length,
    },
    Publication: {
      datasets: (paper) => paper.datasets.map(datasetRef),
    },
  };
}

export function publicationsSchema(data) {
  return buildSubgraphSchema([{ typeDefs, resolvers: resolversFor(data) }]);
}
