"""How the recommender is put together from the rest of StyleLens (called by `Services.recommender`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stylelens.recommend.catalog_view import load_catalog_view
from stylelens.recommend.consent import ConsentBookCheck
from stylelens.recommend.service import Recommender
from stylelens.recommend.taste_store import CoLikes, StoredEvents, TasteStore
from stylelens.recommend.text import TextEncoder
from stylelens.recommend.text_match import TextMatcher

if TYPE_CHECKING:
    from stylelens.services import Services


def build_recommender(services: Services) -> Recommender:
    settings = services.settings
    encoder = TextEncoder(settings.models_dir, threads=settings.vision.threads)
    text = TextMatcher(encoder, settings.storage.data_dir / "cache") if encoder.available else None
    return Recommender(
        settings.recommend,
        lambda: load_catalog_view(services.sessions),
        services.index,
        consent=ConsentBookCheck(services.sessions, lambda: services.privacy.consent),
        events=StoredEvents(services.sessions),
        tastes=TasteStore(services.sessions),
        text=text,
        co_likes=CoLikes(services.sessions),
    )
