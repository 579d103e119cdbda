"""Sign-in in the browser: authorization code with PKCE (S256) against a real OIDC issuer
(tests/oidc_issuer.py), then the token on every request and on the subscription websocket."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from esap_graphql.app import create_app
from tests.interface.conftest import (
    GatedProxy,
    Gateway,
    check_accessibility,
    gateway_settings,
    open_context,
)
from tests.interface.samp_hub import TOOL, running_hub, votable_ids
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer, s256
from tests.servers import serve_in_thread


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="module")
def signin_gateway(
    tmp_path_factory: pytest.TempPathFactory, proxy: GatedProxy, issuer: Issuer
) -> Iterator[Gateway]:
    """The gateway with sign-in on: tokens of the issuer, for the interface's client id."""
    settings = gateway_settings(
        tmp_path_factory.mktemp("signin-gateway"),
        proxy.url,
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        oidc_client_id=AUDIENCE,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url=url, settings=settings)


@pytest.fixture
def signin_page(browser: Browser, signin_gateway: Gateway) -> Iterator[Page]:
    context = open_context(browser, signin_gateway.url)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


def test_sign_in_with_pkce_then_use_the_gateway(
    signin_page: Page, signin_gateway: Gateway, issuer: Issuer, shoot: Any, tmp_path: Path
) -> None:
    page = signin_page
    config = httpx.get(f"{signin_gateway.url}/app-config.json", timeout=10).json()
    assert config["oidcIssuer"] == issuer.url
    assert config["oidcClientId"] == AUDIENCE
    assert config["singleUser"] is False

    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/authorize" in r.url else None)
    page.goto("/query/esap-images?ra=200&dec=50&radius=1&page=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to ESAP")
    expect(page.get_by_test_id("single-user-badge")).to_have_count(0)
    check_accessibility(page)
    shoot(page, "signin")

    outcomes_before = len(issuer.token_outcomes)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    # back from the issuer, on the page we were on, signed in
    expect(page.get_by_test_id("user-name")).to_have_text("Signed in as alice")
    expect(page).to_have_url(
        f"{signin_gateway.url}/query/esap-images?ra=200&dec=50&radius=1&page=1"
    )
    expect(page.get_by_test_id("results-summary")).to_contain_text("14 records")
    assert issuer.token_outcomes[outcomes_before:] == ["issued"]  # the verifier matched
    request = parse_qs(urlsplit(authorize[0]).query)
    assert request["code_challenge_method"] == ["S256"]
    assert request["client_id"] == [AUDIENCE]
    assert request["redirect_uri"] == [f"{signin_gateway.url}/signin/callback"]
    assert len(request["code_challenge"][0]) == 43

    # the websocket carries the token too: a job's phases arrive live
    page.get_by_role("link", name="Asynchronous Jobs").click()
    expect(page.locator('section[data-live="true"]')).to_have_count(1)
    form = page.get_by_role("form", name="New job")
    form.get_by_label("Job type").select_option("test.sleep")
    form.get_by_label("Message").fill("signed in")
    form.get_by_role("button", name="Create job").click()
    table = page.get_by_test_id("jobs-table")
    expect(table.get_by_test_id("job-phase")).to_have_text("COMPLETED", timeout=30_000)
    # a result is downloaded with the token (a plain link could not send it)
    with page.expect_download() as download:
        table.get_by_role("link", name="echo.json").click()
    assert "signed in" in Path(download.value.path()).read_text()
    href = table.get_by_role("link", name="echo.json").get_attribute("href")
    assert href is not None
    assert httpx.get(href, timeout=10).status_code == 401  # without the token: refused

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to ESAP")
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_samp_tools_get_signed_links(
    signin_page: Page, signin_gateway: Gateway, tmp_path: Path, tmp_path_factory: Any
) -> None:
    """A SAMP tool cannot send the token: it gets a signed link to the page it is sent."""
    page = signin_page
    page.goto("/query/esap-cubes?ra=10&dec=-30&radius=1&page=1&pageSize=5")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    rows = page.get_by_test_id("results-table").locator("tbody tr[data-record-id]")
    expect(rows).to_have_count(5)
    shown = [rows.nth(i).get_attribute("data-record-id") for i in range(5)]
    with running_hub(tmp_path_factory.mktemp("samp-signin")) as (_dialog, tool):
        page.get_by_role("button", name="Connect to SAMP").click()
        send = page.get_by_role("group", name="Send over SAMP")
        send.get_by_label("Send to").select_option(label=TOOL)
        send.get_by_role("button", name="Send table").click()
        expect(page.get_by_test_id("samp-result")).to_contain_text(f"to {TOOL}")
        message = tool.next_table()
    url = message["url"]
    assert "signature=" in url
    assert votable_ids(url, "record_id", tmp_path) == shown  # fetched without a token
    unsigned = url.split("&user=")[0]
    assert httpx.get(unsigned, timeout=10).status_code == 401


def test_issuer_checks_the_pkce_verifier(issuer: Issuer) -> None:
    """The test issuer is a real check: a wrong verifier or a reused code gets no token."""
    verifier = secrets.token_urlsafe(32)
    redirect = "http://127.0.0.1:1/signin/callback"
    with httpx.Client(base_url=issuer.url, timeout=10) as http:

        def code() -> str:
            answer = http.get(
                "/authorize",
                params={
                    "response_type": "code",
                    "client_id": AUDIENCE,
                    "redirect_uri": redirect,
                    "state": "s1",
                    "code_challenge": s256(verifier),
                    "code_challenge_method": "S256",
                },
            )
            assert answer.status_code == 302
            query = parse_qs(urlsplit(answer.headers["location"]).query)
            assert query["state"] == ["s1"]
            return query["code"][0]

        def token(grant: str, proof: str) -> httpx.Response:
            return http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": grant,
                    "redirect_uri": redirect,
                    "client_id": AUDIENCE,
                    "code_verifier": proof,
                },
            )

        refused = token(code(), secrets.token_urlsafe(32))
        assert refused.status_code == 400
        assert refused.json()["error_description"] == "PKCE verification failed"
        grant = code()
        assert token(grant, verifier).status_code == 200
        assert token(grant, verifier).json()["error"] == "invalid_grant"  # used once
        no_pkce = http.get(
            "/authorize",
            params={"response_type": "code", "client_id": AUDIENCE, "redirect_uri": redirect},
        )
        assert "error=invalid_request" in no_pkce.headers["location"]
