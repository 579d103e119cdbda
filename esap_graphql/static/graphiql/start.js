// Starts GraphiQL against the URL of the page itself (GET /graphql): queries and mutations
// over HTTP POST, subscriptions over graphql-transport-ws on the same path (the graphql-ws
// client is bundled in graphiql.min.js). Everything is loaded from the gateway: no CDN.
(function () {
  "use strict";
  var url = window.location.origin + window.location.pathname;
  var subscriptionUrl = url.replace(/^http/, "ws");
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: subscriptionUrl });
  var defaultQuery =
    "# ESAP GraphQL gateway.\n" +
    "# Ctrl-Enter runs the query, Ctrl-Space completes; the docs are on the left.\n" +
    "# With authentication on, add {\"Authorization\": \"Bearer <token>\"} under Headers.\n" +
    "\n" +
    "{\n  archives {\n    id\n    name\n  }\n}\n";
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers may hold a bearer token: keep them out of localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
