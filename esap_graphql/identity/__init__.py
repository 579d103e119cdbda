"""Identity providers: who a request's credentials belong to (adapters)."""
