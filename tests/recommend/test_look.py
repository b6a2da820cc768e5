"""Complete the look: complementary kinds, colours that go together, and what shoppers liked together."""

from __future__ import annotations

import uuid

from stylelens.recommend.look import colour_harmony, complementary_categories
from stylelens.recommend.service import ShopperContext
from stylelens.services import Services
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import ShopperEvent


def test_colour_rules_a_stylist_would_give() -> None:
    assert colour_harmony("navy", "orange") == 1.0  # a neutral goes with anything
    assert colour_harmony("red", "red") == 1.0
    assert colour_harmony("blue", "orange") >= 0.7  # complementary on the colour wheel
    assert colour_harmony("yellow", "orange") >= 0.8  # neighbours on the wheel
    assert colour_harmony("red", "green") < 0.5
    assert "trousers" in complementary_categories("shirt") and "shirt" not in complementary_categories("shirt")


def test_items_liked_together_come_first_and_say_so(small_services: Services) -> None:
    recommender = small_services.recommender
    view = recommender.view()
    dress = next(f for f in view.facts if f.category == "dress")
    sandals = [f for f in view.facts if f.category == "sandals"]
    partner = sandals[-1]
    before = recommender.complete_the_look(dress.pk, ShopperContext(), 20)
    with transaction(small_services.sessions) as session:
        for shopper in ("fan-1", "fan-2", "fan-3"):
            for product in (dress, partner):
                session.add(ShopperEvent(event_id=uuid.uuid4().hex, type="like", product_id=product.product_id,
                                         shopper_ref=shopper))  # fmt: skip
    after = recommender.complete_the_look(dress.pk, ShopperContext(), 20)
    rank = [r.pk for r in after].index(partner.pk)
    assert partner.pk not in [r.pk for r in before[: rank + 1]]
    assert "Often liked together with it" in after[rank].reasons
    assert all(view.fact(r.pk).category in complementary_categories("dress") for r in after)  # type: ignore[union-attr]
