"""The pure domain: no I/O, no GraphQL, no ORM, no VO library."""
