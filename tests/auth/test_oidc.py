"""OidcAuthenticator against a real issuer over HTTP: every way a token can be wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from esap_graphql.domain.users import IdentityProviderUnavailable, InvalidToken, MissingToken
from esap_graphql.identity.authenticators import LocalAuthenticator, bearer_token
from esap_graphql.identity.oidc import OidcAuthenticator
from tests.oidc_issuer import AUDIENCE, Issuer, new_key
from tests.servers import free_port


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def authenticator(issuer: Issuer, http: httpx.AsyncClient, **kwargs: object) -> OidcAuthenticator:
    options: dict[str, object] = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "jwks_url": issuer.jwks_url,
        "http": http,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return OidcAuthenticator(**options)  # type: ignore[arg-type]


async def test_valid_token_gives_a_user_named_by_issuer_and_subject(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    user = await authenticator(issuer, http).authenticate(
        f"Bearer {issuer.token('alice', email='alice@example.org')}"
    )
    assert user.id == f"{issuer.url}|alice"
    assert user.name == "alice"
    assert user.email == "alice@example.org"
    assert not user.is_local


async def test_keys_are_discovered_from_the_issuer_when_no_jwks_url_is_set(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    auth = authenticator(issuer, http, jwks_url=None)
    user = await auth.authenticate(f"Bearer {issuer.token('bob')}")
    assert user.id.endswith("|bob")


async def test_keys_are_fetched_once_and_cached(issuer: Issuer, http: httpx.AsyncClient) -> None:
    auth = authenticator(issuer, http)
    before = issuer.jwks_fetches
    for subject in ("a", "b", "c", "d"):
        await auth.authenticate(f"Bearer {issuer.token(subject)}")
    assert issuer.jwks_fetches == before + 1


async def test_a_rotated_key_is_fetched_when_an_unknown_kid_arrives(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    auth = authenticator(issuer, http, refresh_interval=0.0)
    await auth.authenticate(f"Bearer {issuer.token('alice')}")
    rotated = new_key("key-2")
    issuer.keys.append(rotated)
    try:
        user = await auth.authenticate(f"Bearer {issuer.token('alice', key=rotated)}")
    finally:
        issuer.keys.remove(rotated)
    assert user.id.endswith("|alice")


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda i: i.token(expires_in=-600), "token has expired"),
        (lambda i: i.token(aud="someone-else"), "wrong audience"),
        (lambda i: i.token(iss="https://evil.example.org"), "wrong issuer"),
        (lambda i: i.token(key=_impostor()), "bad signature"),
        (lambda i: i.token(key=new_key("unpublished")), "signed with a key the issuer does not"),
        (lambda i: "not.a.jwt", "malformed token"),
    ],
    ids=["expired", "audience", "issuer", "signature", "unknown-kid", "malformed"],
)
async def test_bad_tokens_are_rejected_with_a_reason_but_without_the_token(
    issuer: Issuer, http: httpx.AsyncClient, make_token: object, reason: str
) -> None:
    token = make_token(issuer)  # type: ignore[operator]
    with pytest.raises(InvalidToken) as caught:
        await authenticator(issuer, http).authenticate(f"Bearer {token}")
    assert reason in caught.value.message
    assert token not in caught.value.message
    assert caught.value.code == "invalid_token"


def _impostor() -> RSAKey:
    # Same kid as the published key, different key material: only the signature is wrong.
    return new_key("key-1")


async def test_a_token_without_subject_is_rejected(issuer: Issuer, http: httpx.AsyncClient) -> None:
    key = issuer.keys[0]
    token = jwt.encode(
        {"alg": "RS256", "kid": key.kid},
        {"iss": issuer.url, "aud": AUDIENCE, "exp": 4_000_000_000},
        key,
    )
    with pytest.raises(InvalidToken, match="sub"):
        await authenticator(issuer, http).authenticate(f"Bearer {token}")


async def test_an_hmac_token_is_rejected(issuer: Issuer, http: httpx.AsyncClient) -> None:
    from joserfc.jwk import OctKey

    secret = OctKey.import_key("a-shared-secret-long-enough-for-hs256-0123")
    token = jwt.encode(
        {"alg": "HS256", "kid": "key-1"},
        {"iss": issuer.url, "aud": AUDIENCE, "sub": "mallory", "exp": 4_000_000_000},
        secret,
    )
    with pytest.raises(InvalidToken):
        await authenticator(issuer, http).authenticate(f"Bearer {token}")


async def test_missing_token(issuer: Issuer, http: httpx.AsyncClient) -> None:
    auth = authenticator(issuer, http)
    for value in (None, "", "   "):
        with pytest.raises(MissingToken):
            await auth.authenticate(value)


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc.def.ghi ") == "abc.def.ghi"
    assert bearer_token("abc.def.ghi") == "abc.def.ghi"
    assert bearer_token(None) is None
    with pytest.raises(InvalidToken, match="Basic"):
        bearer_token("Basic dXNlcjpwYXNz")


async def test_unreachable_issuer_is_not_a_token_error(http: httpx.AsyncClient) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    auth = OidcAuthenticator(issuer=dead, audience=None, jwks_url=None, http=http, timeout=2)
    with pytest.raises(IdentityProviderUnavailable, match="openid-configuration"):
        await auth.authenticate("Bearer a.b.c")


async def test_audience_is_not_checked_when_none_is_configured(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    auth = authenticator(issuer, http, audience=None)
    user = await auth.authenticate(f"Bearer {issuer.token('carol', aud='anything')}")
    assert user.id.endswith("|carol")


async def test_local_mode_ignores_tokens() -> None:
    auth = LocalAuthenticator()
    assert not auth.required
    assert (await auth.authenticate(None)).is_local
    assert (await auth.authenticate("Bearer whatever")).is_local


async def test_cached_keys_keep_working_while_the_issuer_is_down(http: httpx.AsyncClient) -> None:
    from tests.oidc_issuer import running_issuer

    with running_issuer() as issuer:
        auth = authenticator(issuer, http, cache_ttl=0.0)
        await auth.authenticate(f"Bearer {issuer.token('alice')}")
        token = issuer.token("alice")
    # The issuer's server has stopped: the keys are stale but still the issuer's keys.
    user = await auth.authenticate(f"Bearer {token}")
    assert user.id.endswith("|alice")
