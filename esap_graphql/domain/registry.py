"""VO registry records, the searches over them, and datasets made from them.

Pure data and rules: the registry connectors (RegTAP, OAI-PMH) fill these
types, the registry service searches them, and ``dataset_for`` turns a
listed service into a ``Dataset`` the query service runs like a configured one.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import InvalidParameter, UsageError
from esap_graphql.domain.query_fields import default_query_fields

#: The archive id of datasets built from registry records.
REGISTRY_ARCHIVE_ID = "vo-registry"
#: Longest keyword text accepted.
MAX_KEYWORD_LENGTH = 200
#: Most words of a keyword search (each one is a condition of its own).
MAX_KEYWORDS = 8

_IVOID = re.compile(r"^ivo://[A-Za-z0-9][A-Za-z0-9._~\-]{2,}(/[^\s#?]*)?(\?[^\s#]*)?(#\S*)?$")

# The IVOA messenger vocabulary (http://www.ivoa.net/rdf/messenger), lower case
# as RegTAP stores it; pyvo would download it, we keep it here.
MESSENGERS: tuple[str, ...] = (
    "radio",
    "millimeter",
    "infrared",
    "optical",
    "uv",
    "euv",
    "x-ray",
    "gamma-ray",
    "neutrino",
    "gravitational-waves",
    "photon",
    "particle",
)


class ServiceType(enum.Enum):
    """The kinds of service a registry search can ask for, by IVOA standard."""

    TAP = "tap"
    SCS = "scs"
    SIA = "sia"
    SIA2 = "sia2"
    SSA = "ssa"


#: Standard ids (lower case, without the version fragment) of each service type.
STANDARD_IDS: dict[ServiceType, str] = {
    ServiceType.TAP: "ivo://ivoa.net/std/tap",
    ServiceType.SCS: "ivo://ivoa.net/std/conesearch",
    ServiceType.SIA: "ivo://ivoa.net/std/sia",
    ServiceType.SIA2: "ivo://ivoa.net/std/sia#query-2",
    ServiceType.SSA: "ivo://ivoa.net/std/ssa",
}


def service_type_of(standard_id: str | None) -> ServiceType | None:
    """The service type a capability's standard id names, or None (VOSI, DataLink...)."""
    if not standard_id:
        return None
    std = standard_id.lower()
    # SIA 2 shares SIA 1's standard id, told apart by the fragment; pyvo
    # rewrites it as .../sia2 (regtap.regularize_SIA2_id)
    if std.startswith(
        ("ivo://ivoa.net/std/sia#query-2", "ivo://ivoa.net/std/sia#query-aux-2")
    ) or std in ("ivo://ivoa.net/std/sia2", "ivo://ivoa.net/std/sia2#aux"):
        return ServiceType.SIA2
    base, _, fragment = std.partition("#")
    if fragment and fragment != "aux":
        return None
    for kind, known in STANDARD_IDS.items():
        if kind is not ServiceType.SIA2 and base == known:
            return kind
    return None


class RegistrySource(enum.Enum):
    """Where a registry search looks."""

    ALL = "all"
    REGTAP = "regtap"
    HARVESTED = "harvested"


@dataclass(frozen=True, slots=True)
class RegistryCapability:
    """One interface of one capability of a registered resource."""

    standard_id: str | None
    access_url: str | None
    interface_type: str | None = None
    role: str | None = None
    description: str | None = None

    @property
    def service_type(self) -> ServiceType | None:
        """The kind of service, when it is one we know."""
        return service_type_of(self.standard_id)

    @property
    def auxiliary(self) -> bool:
        """True for an auxiliary capability (a service that serves this resource too)."""
        std = (self.standard_id or "").lower()
        return "#" in std and std.split("#", 1)[1].startswith(("aux", "query-aux"))


@dataclass(frozen=True, slots=True)
class RegistryResource:
    """A registered resource (usually a service), as RegTAP or OAI-PMH describe it."""

    ivoid: str
    title: str
    description: str = ""
    publisher: str | None = None
    short_name: str | None = None
    resource_type: str | None = None
    subjects: tuple[str, ...] = ()
    wavebands: tuple[str, ...] = ()
    capabilities: tuple[RegistryCapability, ...] = ()
    updated: datetime | None = None
    #: Where the record came from: "regtap" or the harvested registry's OAI-PMH URL.
    source: str = ""

    def service_types(self) -> tuple[ServiceType, ...]:
        """The service types its capabilities offer, in capability order."""
        kinds = (c.service_type for c in self.capabilities)
        return tuple(dict.fromkeys(k for k in kinds if k is not None))


@dataclass(frozen=True, slots=True)
class RegistryQuery:
    """A validated registry search: keywords (all must match), service type, waveband."""

    keywords: tuple[str, ...] = ()
    service_type: ServiceType | None = None
    waveband: str | None = None
    limit: int = 100

    @property
    def empty(self) -> bool:
        """True when nothing constrains the search."""
        return not self.keywords and self.service_type is None and self.waveband is None


def _clean_words(keyword: str | None) -> tuple[str, ...]:
    if keyword is None:
        return ()
    text = unicodedata.normalize("NFC", keyword).strip()
    if len(text) > MAX_KEYWORD_LENGTH:
        raise InvalidParameter("keyword", f"longer than {MAX_KEYWORD_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in text):
        raise InvalidParameter("keyword", "contains control or unassigned characters")
    words = tuple(dict.fromkeys(text.split()))
    if len(words) > MAX_KEYWORDS:
        raise InvalidParameter("keyword", f"at most {MAX_KEYWORDS} words")
    return words


def registry_query(
    keyword: str | None,
    service_type: ServiceType | None,
    waveband: str | None,
    *,
    limit: int = 100,
    max_limit: int = 1000,
) -> RegistryQuery:
    """A checked registry search; raise ``InvalidParameter``.

    Keywords are split into words, each of which must match (title,
    description or subject); a waveband must be a term of the IVOA messenger
    vocabulary.
    """
    words = _clean_words(keyword)
    band: str | None = None
    if waveband is not None and waveband.strip():
        band = waveband.strip().lower()
        if band not in MESSENGERS:
            raise InvalidParameter(
                "waveband", f"not an IVOA messenger term (one of {', '.join(MESSENGERS)})"
            )
    if not 1 <= limit <= max_limit:
        raise InvalidParameter("limit", f"must be between 1 and {max_limit}")
    query = RegistryQuery(keywords=words, service_type=service_type, waveband=band, limit=limit)
    if query.empty:
        raise InvalidParameter("keyword", "give a keyword, a service type or a waveband")
    return query


def check_ivoid(ivoid: str) -> str:
    """An IVOA identifier as given (scheme lower-cased); raise ``InvalidParameter``."""
    text = ivoid.strip()
    if len(text) > 500 or not _IVOID.match(text[:6].lower() + text[6:]):
        raise InvalidParameter("ivoid", "not an IVOA identifier (ivo://authority/path)")
    return text[:6].lower() + text[6:]


_WORD = re.compile(r"\w+(?:[-.']\w+)*")


def words_of(text: str) -> set[str]:
    """The words of a text as keyword search sees them: lower case, and for a word
    joined by hyphens, dots or apostrophes (x-ray, M.31) its parts too."""
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        found.add(word)
        if len(word) > 1 and any(c in word for c in "-.'"):
            found.update(p for p in re.split(r"[-.']", word) if p)
    return found


def keyword_tokens(query: RegistryQuery) -> tuple[str, ...]:
    """The words every match must have a word starting with (from all keywords)."""
    return tuple(sorted({t for k in query.keywords for t in words_of(k)}))


def matches(resource: RegistryResource, query: RegistryQuery) -> bool:
    """Whether a resource satisfies a search (the rule the SQL store follows).

    Every keyword word must begin a word of the title, description or
    subjects, so "galax" finds "galaxies" (RegTAP too matches words, not
    substrings). A keyword without any word character matches nothing.
    """
    if query.service_type is not None and query.service_type not in resource.service_types():
        return False
    if query.waveband is not None and query.waveband not in (w.lower() for w in resource.wavebands):
        return False
    tokens = keyword_tokens(query)
    if query.keywords and not tokens:
        return False
    words = words_of(" ".join((resource.title, resource.description, *resource.subjects)))
    return all(any(w.startswith(t) for w in words) for t in tokens)


class UnknownRegistryService(UsageError):
    """No registry (RegTAP, or a harvested one) lists this identifier."""

    code = "unknown_registry_service"

    def __init__(self, ivoid: str) -> None:
        super().__init__(f"no registry lists a resource {ivoid!r}")
        self.ivoid = ivoid


class NotQueryable(UsageError):
    """The registered resource offers no service the gateway can query."""

    code = "not_queryable"

    def __init__(self, ivoid: str, wanted: ServiceType | None = None) -> None:
        what = f"a {wanted.value} service" if wanted else "a TAP, cone search or SIA service"
        super().__init__(f"the resource {ivoid!r} offers no {what} the gateway can query")
        self.ivoid = ivoid


class RefusedUrl(UsageError):
    """A URL taken from a registry record is not one the gateway may call."""

    code = "refused_url"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to call {url!r}: {reason}")
        self.url = url
        self.reason = reason


_PROTOCOLS: dict[ServiceType, tuple[Protocol, int]] = {
    ServiceType.TAP: (Protocol.TAP, 2),
    ServiceType.SCS: (Protocol.SCS, 2),
    ServiceType.SIA2: (Protocol.SIA, 2),
    ServiceType.SIA: (Protocol.SIA, 1),
}
# the order a capability is chosen in when the caller does not say
_PREFERRED = (ServiceType.TAP, ServiceType.SIA2, ServiceType.SCS, ServiceType.SIA)


@dataclass(frozen=True, slots=True)
class RegistryDataset:
    """A registered service chosen for querying: the resource, the capability, the dataset."""

    resource: RegistryResource
    capability: RegistryCapability
    dataset: Dataset = field(compare=False)


def dataset_for(
    resource: RegistryResource,
    *,
    service_type: ServiceType | None = None,
    table: str = "ivoa.obscore",
) -> RegistryDataset:
    """The dataset to query a registered service with; raise ``NotQueryable``.

    A TAP service is queried over ``table`` (ObsCore unless told otherwise);
    standard interfaces come before others, the resource's own capabilities
    before auxiliary ones.
    """
    wanted = (service_type,) if service_type is not None else _PREFERRED
    candidates = sorted(
        (
            c
            for c in resource.capabilities
            if c.service_type in wanted and c.service_type in _PROTOCOLS and c.access_url
        ),
        key=lambda c: (
            c.auxiliary,
            wanted.index(c.service_type),
            (c.role or "") != "std",
        ),
    )
    if not candidates:
        raise NotQueryable(resource.ivoid, service_type)
    chosen = candidates[0]
    kind = chosen.service_type
    assert kind is not None
    assert chosen.access_url is not None
    protocol, sia_version = _PROTOCOLS[kind]
    # cone search and SIA base URLs end in "?" by their standards' convention
    access_url = chosen.access_url
    if protocol is not Protocol.TAP:
        access_url = access_url.rstrip("?&")
    obscore = protocol is Protocol.TAP and table.lower().endswith("obscore")
    sia1 = protocol is Protocol.SIA and sia_version == 1
    dataset = Dataset(
        id=resource.ivoid,
        archive_id=REGISTRY_ARCHIVE_ID,
        name=resource.title,
        protocol=protocol,
        access_url=access_url,
        description=resource.description,
        table=table if protocol is Protocol.TAP else None,
        sia_version=sia_version,
        multi_query=False,
        query_fields=default_query_fields(
            Protocol.SCS if sia1 else protocol,
            obscore=obscore or protocol is Protocol.SIA,
            fixed_collection=None,
            collections=(),
        ),
    )
    return RegistryDataset(resource=resource, capability=chosen, dataset=dataset)
