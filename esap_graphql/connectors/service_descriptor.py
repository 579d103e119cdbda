"""The DataLink service a VOTable answer declares (a RESOURCE of utype adhoc:service).

Pure code; ``votable_to_result`` attaches what it finds to every record of
the answer, so that ``links`` can ask that service for a record's ID.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from esap_graphql.domain.datalink import ServiceDescriptor

_MARK = b"adhoc:service"
_SERVICE_RESOURCE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?RESOURCE\b[^>]*\butype\s*=\s*[\"']adhoc:service[\"'][^>]*>"
)
_RESOURCE_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?RESOURCE\s*>")
_FIELD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?FIELD\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""\b([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        m.group(1).decode(): (m.group(2) if m.group(2) is not None else m.group(3) or b"").decode(
            "utf-8", "replace"
        )
        for m in _ATTRIBUTE.finditer(tag)
    }


def _field_name(content: bytes, ref: str) -> str | None:
    """The name of the FIELD whose ID is ``ref`` (the name itself when none has that ID)."""
    for match in _FIELD.finditer(content):
        attributes = _attributes(match.group())
        if attributes.get("ID") == ref:
            return attributes.get("name") or ref
    return None


def find_descriptor(content: bytes) -> ServiceDescriptor | None:
    """The DataLink links service a VOTable answer declares, or None.

    Only the RESOURCE elements of utype adhoc:service are parsed (they hold
    no table data); an answer without one costs one substring search.
    """
    if _MARK not in content:
        return None
    for start in _SERVICE_RESOURCE.finditer(content):
        end = _RESOURCE_END.search(content, start.end())
        if end is None:
            return None
        block = _PREFIX.sub(rb"<\1", content[start.start() : end.end()])
        try:
            element = ET.fromstring(block)
        except ET.ParseError:
            continue
        params = {
            p.get("name", ""): p
            for p in element.iter()
            if _local(p.tag) == "PARAM" and p.get("name")
        }
        standard = params.get("standardID")
        access = params.get("accessURL")
        if standard is None or access is None:
            continue
        if not (standard.get("value") or "").lower().startswith("ivo://ivoa.net/std/datalink"):
            continue
        url = (access.get("value") or "").strip()
        id_param = next(
            (
                p
                for group in element.iter()
                if _local(group.tag) == "GROUP" and group.get("name") == "inputParams"
                for p in group
                if _local(p.tag) == "PARAM" and (p.get("name") or "").upper() == "ID"
            ),
            None,
        )
        ref = id_param.get("ref") if id_param is not None else None
        if not url.startswith(("http://", "https://")) or not ref:
            continue
        column = _field_name(content, ref)
        if column is not None:
            return ServiceDescriptor(access_url=url, id_column=column)
    return None
