// GraphQL Code Generator: types for every operation in src/, checked against the gateway's
// schema.graphql. An unknown field or a wrong argument fails `npm run check`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        scalars: { DateTime: "string", JSON: "unknown" },
        strictScalars: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
    "src/gql/introspection.ts": {
      plugins: ["urql-introspection"],
      config: { module: "es2015", useTypeImports: true },
    },
  },
};

export default config;
