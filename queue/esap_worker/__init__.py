"""The arq worker of esap-graphql: runs jobs from the Redis queue with the gateway's job code.

Start it with ``esap-graphql worker`` (as many processes, on as many hosts, as you like; they
share the database, Redis and the result directory). It imports the domain, services,
connectors and storage of ``esap_graphql`` but never its GraphQL schema or resolvers.
"""
