/** Providers (auth, GraphQL client, SAMP, announcements) and the routes: a URL for every page. */
import { useEffect, useMemo } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { Provider as UrqlProvider } from "urql";
import type { AppConfig } from "./config/appConfig";
import { AuthProvider, useAuth, useBearer } from "./auth/AuthContext";
import { createGatewayClient } from "./graphql/client";
import { LiveConnectionContext } from "./graphql/liveConnection";
import { AnnouncerProvider } from "./components/Announcer";
import { Layout } from "./components/Layout";
import { SampProvider } from "./samp/SampContext";
import { ArchivesPage } from "./pages/archives/ArchivesPage";
import { ArchivePage } from "./pages/archives/ArchivePage";
import { QueryPage } from "./pages/query/QueryPage";
import { MultiQueryPage } from "./pages/multi/MultiQueryPage";
import { BasketPage } from "./pages/basket/BasketPage";
import { JobsPage } from "./pages/jobs/JobsPage";
import { SampPage } from "./pages/samp/SampPage";
import { SignInCallback } from "./pages/SignInCallback";
import { NotFoundPage } from "./pages/NotFoundPage";

function GatewayProvider({ children }: { children: React.ReactNode }) {
  const { config, rejected } = useAuth();
  const authorization = useBearer();
  // A new client (empty cache, new websocket) for each identity: nothing leaks across users.
  const gateway = useMemo(
    () => createGatewayClient({ graphqlPath: config.graphqlPath, authorization, onUnauthorized: rejected }),
    [config.graphqlPath, authorization, rejected],
  );
  useEffect(() => () => gateway.dispose(), [gateway]);
  return (
    <UrqlProvider value={gateway.client}>
      <LiveConnectionContext.Provider value={gateway}>{children}</LiveConnectionContext.Provider>
    </UrqlProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/archives" replace />} />
        <Route path="archives" element={<ArchivesPage />} />
        <Route path="archives/:archiveId" element={<ArchivePage />} />
        <Route path="query/:datasetId" element={<QueryPage />} />
        <Route path="multi" element={<MultiQueryPage />} />
        <Route path="basket" element={<BasketPage />} />
        <Route path="basket/:name" element={<BasketPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="samp" element={<SampPage />} />
        <Route path="signin/callback" element={<SignInCallback />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App({ config }: { config: AppConfig }) {
  return (
    <AuthProvider config={config}>
      <GatewayProvider>
        <AnnouncerProvider>
          <SampProvider>
            <BrowserRouter>
              <AppRoutes />
            </BrowserRouter>
          </SampProvider>
        </AnnouncerProvider>
      </GatewayProvider>
    </AuthProvider>
  );
}
