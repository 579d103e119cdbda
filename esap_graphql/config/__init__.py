"""Configuration, read once at start-up: settings from the environment and the archive
catalogue file."""

from esap_graphql.config.catalogue import CatalogueError, load_catalogue, parse_catalogue
from esap_graphql.config.settings import Settings

__all__ = ["CatalogueError", "Settings", "load_catalogue", "parse_catalogue"]
