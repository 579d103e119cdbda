"""Services: the rules and orchestration; they know nothing of GraphQL."""
