// Unit tests: the pure modules (URL state, validation, XML-RPC, PKCE, JSON Schema forms) and
// the results table (happy-dom). The browser tests in tests/interface are the ones that count.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["src/**/*.test.{ts,tsx}"], environment: "node" },
});
