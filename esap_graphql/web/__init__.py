"""The HTTP edge besides GraphQL's schema: the GraphQL endpoint, authentication, GraphiQL and
basket export URLs."""
