"""``python -m esap_graphql``."""

from esap_graphql.cli import main

raise SystemExit(main())
