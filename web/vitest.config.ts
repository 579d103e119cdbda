// Unit tests of the pure modules (URL state, validation, XML-RPC, PKCE, JSON Schema forms).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
