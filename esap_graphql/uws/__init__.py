"""The IVOA UWS 1.1 REST interface to jobs, at ``/uws/jobs``."""
