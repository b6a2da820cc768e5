"""OpenID Connect sign-in against a real local issuer (loopback HTTP server, keys made by the test)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from shopper_app import Shop, open_shop

from stylelens.config import Settings

AUDIENCE = "stylelens-app"


class Issuer:
    """An identity provider on 127.0.0.1: discovery document, JWKS, and ID tokens signed with its keys."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.jwks_requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path == "/tenant/v2.0/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path == "/tenant/v2.0/keys":
                    issuer.jwks_requests += 1
                    body = {"keys": [issuer.jwk(kid) for kid in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/tenant/v2.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwk(self, kid: str) -> dict[str, Any]:
        key = self.keys[kid].public_key()
        algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPublicKey) else ECAlgorithm
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key))
        return {**jwk, "kid": kid, "use": "sig"}

    def token(
        self, sub: str = "entra-sub-1", kid: str = "k1", key: Any = None, alg: str = "RS256", **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": sub,
            "iat": now,
            "exp": now + 600,
            "email": "ada@shop.example",
            "name": "Ada",
            **claims,
        }
        return jwt.encode(payload, key or self.keys[kid], algorithm=alg, headers={"kid": kid})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    running = Issuer()
    yield running
    running.close()


@pytest.fixture
def oidc_shop(tmp_path: Path, make_settings: Callable[[Path], Settings], issuer: Issuer) -> Iterator[Shop]:
    yield from open_shop(tmp_path, make_settings, auth__oidc_issuer=issuer.url, auth__oidc_audience=AUDIENCE)


def test_a_valid_id_token_signs_the_shopper_in_and_maps_to_one_account(oidc_shop: Shop, issuer: Issuer) -> None:
    client = oidc_shop.client
    first = client.post("/v1/auth/oidc", json={"id_token": issuer.token()})
    assert first.status_code == 200 and first.json()["created"] is True, first.text
    again = client.post("/v1/auth/oidc", json={"id_token": issuer.token()})
    assert again.json()["shopper_id"] == first.json()["shopper_id"] and again.json()["created"] is False
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {again.json()['token']}"}).json()
    assert (me["kind"], me["email"], me["display_name"]) == ("oidc", "ada@shop.example", "Ada")
    # The ID token itself is accepted as a bearer token too.
    direct = client.get("/v1/me", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert direct.status_code == 200 and direct.json()["id"] == me["id"]
    other = client.post("/v1/auth/oidc", json={"id_token": issuer.token(sub="entra-sub-2")})
    assert other.json()["shopper_id"] != me["id"]


def test_untrustworthy_tokens_are_refused(oidc_shop: Shop, issuer: Issuer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    bad = {
        "wrong audience": issuer.token(aud="someone-else"),
        "wrong issuer": issuer.token(iss="http://127.0.0.1:1/evil"),
        "expired": issuer.token(iat=now - 7200, exp=now - 3600),
        "not yet valid": issuer.token(nbf=now + 3600),
        "signed by another key": issuer.token(key=stranger),
        "unknown key id": issuer.token(kid="k9", key=stranger),
        "HMAC with the public key": jwt.encode(
            {"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60},
            "secret-" * 6,
            algorithm="HS256",
            headers={"kid": "k1"},
        ),
        "alg none": jwt.encode(
            {"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60},
            None,
            algorithm="none",
            headers={"kid": "k1"},
        ),
        "tampered": issuer.token()[:-4] + "AAAA",
        "no subject": jwt.encode(
            {"iss": issuer.url, "aud": AUDIENCE, "iat": now, "exp": now + 60},
            issuer.keys["k1"],
            algorithm="RS256",
            headers={"kid": "k1"},
        ),
    }
    for name, token in bad.items():
        response = oidc_shop.client.post("/v1/auth/oidc", json={"id_token": token})
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert oidc_shop.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401, name


def test_rotated_keys_are_fetched_again(oidc_shop: Shop, issuer: Issuer) -> None:
    assert oidc_shop.client.post("/v1/auth/oidc", json={"id_token": issuer.token()}).status_code == 200
    issuer.keys["k2"] = ec.generate_private_key(ec.SECP256R1())
    verifier = oidc_shop.services.accounts.oidc
    assert verifier is not None
    verifier.refresh_min_s = 0.0  # the provider rotated: the next unknown kid triggers a fetch at once
    response = oidc_shop.client.post("/v1/auth/oidc", json={"id_token": issuer.token(kid="k2", alg="ES256")})
    assert response.status_code == 200, response.text
    assert issuer.jwks_requests == 2


def test_oidc_sign_in_is_off_without_an_issuer(shop: Shop, issuer: Issuer) -> None:
    assert shop.client.post("/v1/auth/oidc", json={"id_token": issuer.token()}).status_code == 404
