"""esap-graphql: a GraphQL federation gateway over astronomy data archives."""

__version__ = "0.1.0"
