import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { loadAppConfig } from "./config/appConfig";
import "./styles.css";

const root = createRoot(document.getElementById("root") as HTMLElement);

loadAppConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (exc: unknown) =>
    root.render(
      <main className="main">
        <div className="alert alert-error" role="alert">
          <strong>The interface cannot start.</strong> {exc instanceof Error ? exc.message : String(exc)}
        </div>
      </main>,
    ),
);
