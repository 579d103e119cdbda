"""Connectors: one module per archive protocol, all behind the ``Connector`` interface."""
