"""Fixtures of the operations tests: Redis prefixes and worker processes as for jobs, the
fault-injecting proxy in front of DaCHS as for multi-queries."""

from tests.jobs.conftest import redis_prefix, workers
from tests.multi_query.conftest import proxy

__all__ = ["proxy", "redis_prefix", "workers"]
