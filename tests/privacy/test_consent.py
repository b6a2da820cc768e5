"""Consent: per purpose, versioned with the policy text, withdrawable; objection to profiling stops it too."""

from __future__ import annotations

from shopper_app import Shop, grant, register

from stylelens.privacy.consent import ConsentBook, policy_sha256


def test_objection_to_profiling_stops_personalisation(shop: Shop) -> None:
    client, services = shop.client, shop.services
    ada = register(client, "ada@example.org")
    grant(client, ada, "personalisation")
    with services.sessions() as session:
        assert services.privacy.consent.allows(session, ada.id, "personalisation")
    objected = client.patch("/v1/me", headers=ada.headers, json={"profiling_objection": True})
    assert objected.status_code == 200 and objected.json()["profiling_objection"] is True
    with services.sessions() as session:
        assert not services.privacy.consent.allows(session, ada.id, "personalisation")
    assert client.get("/v1/me/taste", headers=ada.headers).json()["personalised"] is False


def test_a_new_policy_version_needs_consent_again(shop: Shop) -> None:
    client, services = shop.client, shop.services
    ada = register(client, "ada@example.org")
    grant(client, ada, "analytics")
    [row] = [c for c in client.get("/v1/me/consents", headers=ada.headers).json() if c["purpose"] == "analytics"]
    assert row["granted"] is True and row["policy_version"] == services.settings.privacy.policy_version
    newer = ConsentBook(services.privacy.audit, "2099-01-01")
    with services.sessions() as session:
        assert not newer.allows(session, ada.id, "analytics")  # agreed to the old text only
        [decision] = newer.history(session, ada.id)
        assert decision.policy_sha256 == policy_sha256("analytics", services.settings.privacy.policy_version)
    unknown = client.put("/v1/me/consents/marketing", headers=ada.headers, json={"granted": True})
    assert unknown.status_code == 422
