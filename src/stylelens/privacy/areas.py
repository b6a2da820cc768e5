"""The built-in data areas: profile and sign-in, consents, saved photos, recent searches, shopper events, taste
settings.

`events` here is a fallback over the integration's `shopper_events` table (rows whose shopper_ref is the shopper's
id), and `taste` one over the recommendations' `taste_settings`; `stylelens.events` and `stylelens.recommend` may
register their own areas of the same names, which then replace these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from stylelens.privacy.rights import ShopperExport, register_area
from stylelens.storage.db import transaction
from stylelens.storage.shopper_models import Consent, SavedPhoto, Shopper, ShopperLogin, ShopperSession

if TYPE_CHECKING:
    from stylelens.services import Services


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class ProfileArea:
    name = "profile"
    description = "Your account: name, e-mail, language, sizes, how you sign in, your objection to profiling."

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        with services.sessions() as session:
            shopper = session.get(Shopper, shopper_id)
            if shopper is None:
                return ShopperExport({})
            logins = session.scalars(select(ShopperLogin).where(ShopperLogin.shopper_id == shopper_id))
            data = {
                "id": shopper.id,
                "kind": shopper.kind,
                "display_name": shopper.display_name,
                "email": shopper.email,
                "locale": shopper.locale,
                "sizes": shopper.sizes,
                "profiling_objection": shopper.profiling_objection,
                "created_at": _iso(shopper.created_at),
                "updated_at": _iso(shopper.updated_at),
                "sign_in": [{"provider": g.provider, "subject": g.subject} for g in logins],
            }
        return ShopperExport(data)

    def erase(self, services: Services, shopper_id: str) -> int:
        with transaction(services.sessions) as session:
            n = 0
            for table in (ShopperSession, ShopperLogin):
                n += session.execute(delete(table).where(table.shopper_id == shopper_id)).rowcount or 0  # type: ignore[attr-defined]
            n += session.execute(delete(Shopper).where(Shopper.id == shopper_id)).rowcount or 0  # type: ignore[attr-defined]
        return n


class ConsentArea:
    name = "consents"
    description = "Every consent decision you made: purpose, granted or withdrawn, policy version, when."

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        privacy = services.privacy
        with services.sessions() as session:
            rows = privacy.consent.history(session, shopper_id)
            data = [
                {
                    "purpose": r.purpose,
                    "granted": r.granted,
                    "policy_version": r.policy_version,
                    "policy_sha256": r.policy_sha256,
                    "decided_at": _iso(r.decided_at),
                }
                for r in rows
            ]
        return ShopperExport(data)

    def erase(self, services: Services, shopper_id: str) -> int:
        with transaction(services.sessions) as session:
            return session.execute(delete(Consent).where(Consent.shopper_id == shopper_id)).rowcount or 0  # type: ignore[attr-defined]


class PhotoArea:
    name = "photos"
    description = "Photos you saved (faces blurred), with when they will be deleted."

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        photos = services.privacy.photos
        with services.sessions() as session:
            rows = photos.list(session, shopper_id)
        data, files = [], {}
        for row in rows:
            path = f"photos/{row.id}.jpg"
            files[path] = photos.read(shopper_id, row.id)
            data.append(
                {
                    "id": row.id,
                    "file": path,
                    "width": row.width,
                    "height": row.height,
                    "faces_blurred": row.faces_blurred,
                    "saved_at": _iso(row.created_at),
                    "expires_at": _iso(row.expires_at),
                }
            )
        return ShopperExport(data, files)

    def erase(self, services: Services, shopper_id: str) -> int:
        with transaction(services.sessions) as session:
            rows = list(session.scalars(select(SavedPhoto).where(SavedPhoto.shopper_id == shopper_id)))
            for row in rows:
                services.blobs.delete(row.blob_key)
                session.delete(row)
        return len(rows)


class RecentSearchArea:
    """What the visual search still remembers of photos the shopper searched (in this process's memory only, for
    `vision.recent_photo_s`): shown in the export, forgotten at once by the erasure."""

    name = "recent_searches"
    description = (
        "What the search remembers, for a few minutes and in memory only, of photos you searched: each garment's "
        "box, kind, category, colours, pattern and embedding (no pixel of the photo)."
    )

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        search = services.built_search()
        remembered = search.remembered_for(shopper_id) if search is not None else []
        data = [
            {
                "photo_id": photo.photo_id,
                "searched_at": _iso(photo.searched_at),
                "forgotten_by": _iso(photo.forgotten_by),
                "garments": [
                    {
                        "kind": g.kind,
                        "region": {"x": g.region.x, "y": g.region.y, "w": g.region.w, "h": g.region.h},
                        "categories": [{"label": c.label, "score": round(float(c.score), 4)} for c in g.categories],
                        "colors": [{"name": c.name, "share": round(float(c.share), 4)} for c in g.colors],
                        "pattern": g.pattern.label if g.pattern is not None else None,
                        "embedding": [round(float(v), 6) for v in g.embedding],
                    }
                    for g in photo.garments
                ],
            }
            for photo in remembered
        ]
        return ShopperExport(data)

    def erase(self, services: Services, shopper_id: str) -> int:
        search = services.built_search()
        return search.forget(shopper_id) if search is not None else 0


class EventsFallbackArea:
    name = "events"
    description = "What you did in the app (searches, views, likes, purchases) as recorded for the shop."

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        from stylelens.storage.integration_models import ShopperEvent

        with services.sessions() as session:
            rows = session.scalars(
                select(ShopperEvent).where(ShopperEvent.shopper_ref == shopper_id).order_by(ShopperEvent.occurred_at)
            )
            data = [
                {
                    "event_id": r.event_id,
                    "type": r.type,
                    "product_id": r.product_id,
                    "details": r.details,
                    "source": r.source,
                    "occurred_at": _iso(r.occurred_at),
                }
                for r in rows
            ]
        return ShopperExport(data)

    def erase(self, services: Services, shopper_id: str) -> int:
        from stylelens.storage.integration_models import ShopperEvent

        with transaction(services.sessions) as session:
            query = delete(ShopperEvent).where(ShopperEvent.shopper_ref == shopper_id)
            return session.execute(query).rowcount or 0  # type: ignore[attr-defined]


class TasteFallbackArea:
    name = "taste"
    description = "What you told us about your taste (sizes, colours, brands to show or hide) and when you reset it."

    def export(self, services: Services, shopper_id: str) -> ShopperExport:
        from stylelens.storage.taste_models import TasteSettings

        with services.sessions() as session:
            row = session.get(TasteSettings, shopper_id)
            given = {"edits": row.edits, "reset_at": _iso(row.reset_at)} if row else {"edits": {}, "reset_at": None}
        return ShopperExport({**given, "derived": _derived_taste(services, shopper_id)})

    def erase(self, services: Services, shopper_id: str) -> int:
        from stylelens.storage.taste_models import TasteSettings

        with transaction(services.sessions) as session:
            return session.execute(delete(TasteSettings).where(TasteSettings.shopper_id == shopper_id)).rowcount or 0  # type: ignore[attr-defined]


def _derived_taste(services: Services, shopper_id: str) -> dict[str, Any] | None:
    """The taste profile the recommender derives from the shopper's events (None without consent)."""
    try:
        from stylelens.recommend.service import ShopperContext
        from stylelens.recommend.taste import describe
    except ImportError:  # pragma: no cover - recommendations not in this build
        return None
    profile = services.recommender.taste_for(ShopperContext(shopper_id))
    if profile is None:
        return None
    return {
        "description": describe(profile),
        "colors": {k: float(v) for k, v in profile.colors.items()},
        "categories": {k: float(v) for k, v in profile.categories.items()},
        "brands": {k: float(v) for k, v in profile.brands.items()},
        "price_band": [float(v) for v in profile.price_band] if profile.price_band else None,
        "sizes": list(profile.sizes),
        "looks": len(profile.centres),
        "events": profile.events,
    }


for _area in (ProfileArea(), ConsentArea(), PhotoArea(), RecentSearchArea()):
    register_area(_area)
try:
    import stylelens.storage.integration_models  # noqa: F401

    register_area(EventsFallbackArea(), fallback=True)
except ImportError:  # pragma: no cover - the integration's tables are not in this build
    pass
try:
    import stylelens.storage.taste_models  # noqa: F401

    register_area(TasteFallbackArea(), fallback=True)
except ImportError:  # pragma: no cover - the recommendations' tables are not in this build
    pass
