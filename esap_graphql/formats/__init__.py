"""File formats written for users: baskets and query results as VOTable, CSV and JSON."""
