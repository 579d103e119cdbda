"""Fixtures of the operations tests: Redis prefixes and worker processes as for jobs."""

from tests.jobs.conftest import redis_prefix, workers

__all__ = ["redis_prefix", "workers"]
