// The built files go into the Python package (esap_graphql/static/app), which the gateway
// serves at "/". Output is reproducible: same lockfile, same bytes (scripts/check-web-build.sh).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: process.env.ESAP_WEB_OUT_DIR ?? "../esap_graphql/static/app",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: false,
    // one bundle on purpose (fewer round trips; benchmarks/ui.py keeps it under 250 KB gzipped)
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      onLog(level, log, handler) {
        // react-router marks its modules "use client" for server components; meaningless here
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
    },
  },
  oxc: {
    jsx: { runtime: "automatic" },
  },
  // `npm run dev` serves the sources with hot reload and forwards the API to a gateway
  // started with scripts/serve.sh.
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8000", ws: true },
      "/app-config.json": "http://127.0.0.1:8000",
      "/baskets": "http://127.0.0.1:8000",
      "/uws": "http://127.0.0.1:8000",
      "^/query/[^/]+\\.votable": "http://127.0.0.1:8000",
    },
  },
});
