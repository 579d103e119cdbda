// Compose subgraphs into a supergraph with @apollo/composition.
//   node compose.mjs [--out supergraph.graphql] esap=schema.subgraph.graphql [publications]
// A NAME=FILE argument is a subgraph SDL file; "publications" is the test subgraph.
// Prints the supergraph (or writes it to --out); exits 1 with the errors otherwise.
import { readFileSync, writeFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { typeDefs as publications } from "./publications.mjs";

export function compose(subgraphs) {
  const result = composeServices(subgraphs);
  if (result.errors) {
    const messages = result.errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`);
    throw new Error(`composition failed:\n${messages.join("\n")}`);
  }
  return result;
}

function main(argv) {
  let out = null;
  const subgraphs = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out") {
      out = argv[++i];
    } else if (arg === "publications") {
      subgraphs.push({ name: "publications", url: "http://publications.invalid/graphql", typeDefs: publications });
    } else {
      const [name, file] = arg.split("=", 2);
      subgraphs.push({ name, url: `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(file, "utf8")) });
    }
  }
  let result;
  try {
    result = compose(subgraphs);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  const hints = result.hints ?? [];
  for (const hint of hints) console.error(`hint ${hint.definition.code}: ${hint.message}`);
  if (out) writeFileSync(out, result.supergraphSdl);
  else process.stdout.write(result.supergraphSdl);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
