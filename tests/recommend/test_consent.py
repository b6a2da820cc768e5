"""Personalisation happens only under consent: withdrawn, a shopper's results equal an anonymous shopper's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from stylelens.recommend.service import ShopperContext
from stylelens.services import Services
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import ShopperEvent
from stylelens.storage.models import Product


def _like_all(services: Services, shopper_id: str, category: str, color: str) -> None:
    now = datetime.now(UTC)
    with transaction(services.sessions) as session:
        products = session.query(Product).filter(Product.category == category).all()
        liked = [p for p in products if p.colors[0] == color] or products[:3]
        for n, product in enumerate(liked):
            session.add(
                ShopperEvent(
                    event_id=uuid.uuid4().hex, type="like", product_id=product.product_id,
                    shopper_ref=shopper_id, occurred_at=now - timedelta(hours=n),
                )
            )  # fmt: skip


def _decide(services: Services, shopper_id: str, granted: bool) -> None:
    with transaction(services.sessions) as session:
        services.privacy.consent.decide(session, shopper_id, "personalisation", granted)


def _pks(ranked: list) -> list[int]:  # type: ignore[type-arg]
    return [r.pk for r in ranked]


def test_withdrawn_consent_gives_the_anonymous_results(small_services: Services) -> None:
    services = small_services
    recommender = services.recommender
    shopper = services.accounts.start_device().shopper_id
    _like_all(services, shopper, "dress", "red")
    me, anonymous = ShopperContext(shopper), ShopperContext(None)
    some_pk = recommender.view().facts[3].pk

    _decide(services, shopper, True)
    taste = recommender.taste_for(me)
    assert taste is not None and "dress" in taste.categories
    assert _pks(recommender.for_you(me, 10)) != _pks(recommender.for_you(anonymous, 10))

    _decide(services, shopper, False)
    assert recommender.taste_for(me) is None
    assert _pks(recommender.for_you(me, 10)) == _pks(recommender.for_you(anonymous, 10))
    assert recommender.for_you(me, 10) == recommender.for_you(anonymous, 10)  # scores and reasons too
    assert recommender.similar(some_pk, me, 10) == recommender.similar(some_pk, anonymous, 10)
    assert recommender.complete_the_look(some_pk, me, 6) == recommender.complete_the_look(some_pk, anonymous, 6)
    assert recommender.refine(some_pk, "cheaper", me, 5) == recommender.refine(some_pk, "cheaper", anonymous, 5)


def test_a_shopper_who_never_consented_gets_no_profile(small_services: Services) -> None:
    shopper = small_services.accounts.start_device().shopper_id
    _like_all(small_services, shopper, "shirt", "navy")
    assert small_services.recommender.taste_for(ShopperContext(shopper)) is None


@pytest.mark.parametrize("change", [{"personalisation": False}, {"treatment_share": 0.0}])
def test_personalisation_off_in_settings_or_ab_control_means_no_profile(
    small_services: Services, change: dict[str, object]
) -> None:
    shopper = small_services.accounts.start_device().shopper_id
    _decide(small_services, shopper, True)
    recommender = small_services.recommender
    assert recommender.taste_for(ShopperContext(shopper)) is not None
    before = recommender.settings
    recommender.settings = before.model_copy(update=change)
    try:
        assert recommender.taste_for(ShopperContext(shopper)) is None
    finally:
        recommender.settings = before
