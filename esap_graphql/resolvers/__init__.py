"""Resolvers: thin functions from the request context to one service call."""
