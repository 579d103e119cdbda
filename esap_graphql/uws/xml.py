"""UWS 1.1 XML documents (namespace http://www.ivoa.net/xml/UWS/v1.0) for jobs and lists."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from esap_graphql.domain.jobs import Job

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
UWS_VERSION = "1.1"

ET.register_namespace("uws", UWS_NS)
ET.register_namespace("xlink", XLINK_NS)
ET.register_namespace("xsi", XSI_NS)


# Characters XML 1.0 cannot hold at all (not even escaped): most C0 controls, surrogates,
# U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD, so that a document
    stays well-formed whatever a job's parameters or messages contain."""
    return _NOT_XML.sub("\ufffd", text)


def _u(tag: str) -> str:
    return f"{{{UWS_NS}}}{tag}"


def format_time(value: datetime) -> str:
    """An xs:dateTime in UTC with a Z, to the millisecond."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _text(parent: ET.Element, tag: str, value: str | None, *, nillable: bool = False) -> None:
    element = ET.SubElement(parent, _u(tag))
    if value is None:
        if nillable:
            element.set(f"{{{XSI_NS}}}nil", "true")
        return
    element.text = xml_safe(value)


def _time(parent: ET.Element, tag: str, value: datetime | None) -> None:
    _text(parent, tag, format_time(value) if value else None, nillable=True)


def parameter_text(value: Any) -> str:
    """A parameter value as UWS text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _document(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def parameters_element(parameters: Mapping[str, Any]) -> ET.Element:
    """``<uws:parameters>``."""
    element = ET.Element(_u("parameters"))
    for name, value in parameters.items():
        parameter = ET.SubElement(element, _u("parameter"), {"id": xml_safe(name)})
        parameter.text = xml_safe(parameter_text(value))
    return element


def results_element(job: Job, job_url: str) -> ET.Element:
    """``<uws:results>`` with a link to every result file."""
    element = ET.Element(_u("results"))
    for result in job.results:
        ET.SubElement(
            element,
            _u("result"),
            {
                "id": result.name,
                f"{{{XLINK_NS}}}type": "simple",
                f"{{{XLINK_NS}}}href": f"{job_url}/results/{result.name}",
                "size": str(result.size),
                "mime-type": result.mime_type,
            },
        )
    return element


def job_document(job: Job, job_url: str) -> bytes:
    """``<uws:job>``: the whole job."""
    root = ET.Element(_u("job"), {"version": UWS_VERSION})
    _text(root, "jobId", job.id)
    if job.run_id is not None:
        _text(root, "runId", job.run_id)
    _text(root, "ownerId", job.owner, nillable=True)
    _text(root, "phase", job.phase.value)
    _time(root, "quote", job.quote)
    _text(root, "creationTime", format_time(job.creation_time))
    _time(root, "startTime", job.start_time)
    _time(root, "endTime", job.end_time)
    _text(root, "executionDuration", str(job.execution_duration))
    _time(root, "destruction", job.destruction_time)
    root.append(parameters_element(job.parameters))
    root.append(results_element(job, job_url))
    if job.error is not None:
        summary = ET.SubElement(
            root, _u("errorSummary"), {"type": job.error.type.value, "hasDetail": "true"}
        )
        _text(summary, "message", job.error.message)
    info = ET.SubElement(root, _u("jobInfo"))
    ET.SubElement(info, "type").text = xml_safe(job.type)
    ET.SubElement(info, "attempts").text = str(job.attempts)
    return _document(root)


def job_list_document(jobs: Iterable[Job], jobs_url: str) -> bytes:
    """``<uws:jobs>``: a reference to each job."""
    root = ET.Element(_u("jobs"), {"version": UWS_VERSION})
    for job in jobs:
        ref = ET.SubElement(
            root,
            _u("jobref"),
            {
                "id": job.id,
                f"{{{XLINK_NS}}}type": "simple",
                f"{{{XLINK_NS}}}href": f"{jobs_url}/{job.id}",
            },
        )
        _text(ref, "phase", job.phase.value)
        if job.run_id is not None:
            _text(ref, "runId", job.run_id)
        _text(ref, "ownerId", job.owner, nillable=True)
        _text(ref, "creationTime", format_time(job.creation_time))
    return _document(root)


def fragment_document(element: ET.Element) -> bytes:
    """A lone ``<uws:parameters>`` or ``<uws:results>`` document."""
    return _document(element)
