"""Job queues and event buses: the in-process ones and those on Redis (arq, pub/sub)."""
