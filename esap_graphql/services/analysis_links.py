"""The URLs a launch hands out: a JupyterHub server's notebook, an nbgitpuller link, a BinderHub
launch URL. Pure string building, after each service's documented format.

BinderHub (``/v2/<provider>/<spec>``, https://binderhub.readthedocs.io/en/latest/api.html)::

    /v2/gh/<org>/<repo>/<ref>             GitHub
    /v2/gl/<url-encoded org/repo>/<ref>   GitLab
    /v2/git/<url-encoded clone URL>/<ref> any git repository
    /v2/zenodo/<DOI>/                     a Zenodo record

with ``?labpath=<file>`` (open a file in JupyterLab) or ``?urlpath=<path>`` (any path of the
server, e.g. ``tree/<file>``).

nbgitpuller (https://nbgitpuller.readthedocs.io/en/latest/link.html)::

    <server>/git-pull?repo=<clone URL>&branch=<branch>&urlpath=<path>&targetpath=<dir>
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlparse

from esap_graphql.domain.analysis import GitSource, NotebookSource, ZenodoSource


def opening_path(default_url: str, path: str) -> str:
    """A file's path under a server: ``lab/tree/<path>`` (JupyterLab), ``tree/<path>``."""
    return f"lab/tree/{path}" if default_url == "lab" else f"{default_url}/{path}"


def notebook_url(hub_url: str, server_url: str, default_url: str, path: str) -> str:
    """Where a file opens in a user's server: ``<hub><server>lab/tree/<path>``."""
    return f"{hub_url.rstrip('/')}{server_url}{quote(opening_path(default_url, path))}"


def nbgitpuller_url(
    hub_url: str, server_url: str, default_url: str, source: GitSource, target: str
) -> str:
    """The nbgitpuller link that clones (or updates) ``source`` into ``target`` and opens it."""
    opened = f"{target}/{source.path}" if source.path else target
    query = {"repo": source.repository}
    if source.ref != "HEAD":  # nbgitpuller finds the default branch by itself
        query["branch"] = source.ref
    query["urlpath"] = opening_path(default_url, opened)
    query["targetpath"] = target
    return f"{hub_url.rstrip('/')}{server_url}git-pull?{urlencode(query, quote_via=quote)}"


def binder_url(base_url: str, source: NotebookSource, default_url: str) -> str:
    """The BinderHub launch URL of a repository (or Zenodo record), opening its notebook."""
    base = base_url.rstrip("/")
    if isinstance(source, ZenodoSource):
        url = f"{base}/v2/zenodo/{source.doi}/"
        opened = source.file
    else:
        url = f"{base}/v2/{_git_spec(source)}"
        opened = source.path
    if not opened:
        return url
    if default_url == "lab":
        return f"{url}?{urlencode({'labpath': opened}, quote_via=quote)}"
    return f"{url}?{urlencode({'urlpath': opening_path(default_url, opened)}, quote_via=quote)}"


def _git_spec(source: GitSource) -> str:
    parsed = urlparse(source.repository)
    path = parsed.path.strip("/").removesuffix(".git")
    ref = quote(source.ref, safe="")
    if parsed.scheme == "https" and parsed.hostname == "github.com" and path.count("/") == 1:
        return f"gh/{path}/{ref}"
    if parsed.scheme == "https" and parsed.hostname == "gitlab.com":
        return f"gl/{quote(path, safe='')}/{ref}"
    return f"git/{quote(source.repository, safe='')}/{ref}"
