"""Worker types, registered in one place: ``JOB_TYPES`` maps a type name to its class.

To add one: write a ``JobType`` subclass (see ``sleep.py``) and add it to the tuple below.
"""

from __future__ import annotations

from esap_graphql.services.job_types.analysis import AnalysisLaunchJob
from esap_graphql.services.job_types.base import JobContext, JobType
from esap_graphql.services.job_types.basket import BasketExportJob
from esap_graphql.services.job_types.batch import SlurmBatchJob
from esap_graphql.services.job_types.multi import MultiQueryJob
from esap_graphql.services.job_types.sleep import SleepJob
from esap_graphql.services.job_types.tap import TapQueryJob

JOB_TYPES: dict[str, type[JobType]] = {
    cls.name: cls
    for cls in (
        TapQueryJob,
        MultiQueryJob,
        BasketExportJob,
        SleepJob,
        AnalysisLaunchJob,
        SlurmBatchJob,
    )
}

__all__ = ["JOB_TYPES", "JobContext", "JobType"]
