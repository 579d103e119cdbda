// The federation test harness: the publications subgraph, composed with a running
// esap-graphql subgraph by @apollo/composition, served by @apollo/gateway.
//   node gateway.mjs --esap http://127.0.0.1:8000/subgraph/graphql --data publications.json
// Prints one JSON line {"gateway": URL, "publications": URL} once both serve, and the
// supergraph to --supergraph FILE when given. Stops on SIGTERM or when stdin closes.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { parse } from "graphql";
import { compose } from "./compose.mjs";
import { publicationsSchema, typeDefs as publicationsTypeDefs } from "./publications.mjs";

const { values } = parseArgs({
  options: {
    esap: { type: "string" },
    data: { type: "string" },
    port: { type: "string", default: "0" },
    supergraph: { type: "string" },
  },
});

async function esapSdl(url) {
  // What a router does: ask the subgraph for its SDL.
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.json();
  if (!response.ok || body.errors) throw new Error(`esap _service: ${JSON.stringify(body)}`);
  return body.data._service.sdl;
}

// Apollo's messages go to stderr: stdout carries only the line saying where we listen.
const logger = {
  debug() {},
  info: (message) => console.error(message),
  warn: (message) => console.error(message),
  error: (message) => console.error(message),
};

const data = JSON.parse(readFileSync(values.data, "utf8"));
const publications = new ApolloServer({ schema: publicationsSchema(data), logger });
const { url: publicationsUrl } = await startStandaloneServer(publications, {
  listen: { host: "127.0.0.1", port: 0 },
});

const { supergraphSdl } = compose([
  { name: "esap", url: values.esap, typeDefs: parse(await esapSdl(values.esap)) },
  { name: "publications", url: publicationsUrl, typeDefs: publicationsTypeDefs },
]);
if (values.supergraph) writeFileSync(values.supergraph, supergraphSdl);

const gateway = new ApolloGateway({
  supergraphSdl,
  logger,
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      // The caller's token goes on to every subgraph: esap-graphql answers for that user.
      willSendRequest({ request, context }) {
        if (context.authorization) request.http.headers.set("authorization", context.authorization);
      },
    }),
});
const server = new ApolloServer({ gateway, logger });
const { url: gatewayUrl } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(values.port) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ gateway: gatewayUrl, publications: publicationsUrl }));

async function stop() {
  await server.stop();
  await publications.stop();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
