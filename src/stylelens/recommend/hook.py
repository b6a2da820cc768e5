"""The re-ranker plugged into photo search (VisualSearch's `ranker`).

A plain photo search keeps the pure visual order. Once there is something to add — the shopper's taste (with
consent), their size, or words typed with the photo — the index gives `candidates` items and the re-ranker
orders them: taste, size availability, text match, diversity, duplicate collapse, relevance cut-off.
"""

from __future__ import annotations

from stylelens.recommend.ranking import RankRequest
from stylelens.recommend.search import SearchQuery
from stylelens.recommend.service import Recommender, ShopperContext
from stylelens.vision.analysis import Garment


class SearchReranker:
    def __init__(self, recommender: Recommender) -> None:
        self.recommender = recommender

    def rerank(self, garment: Garment, category: str, query: SearchQuery) -> list[tuple[int, float, list[str]]] | None:
        r = self.recommender
        taste = r.taste_for(ShopperContext(query.shopper, query.sizes))
        if taste is None and not query.sizes and not query.text:
            return None
        neighbours = r.index.search(garment.embedding, r.settings.candidates, query.where)
        candidates = {n.label: n.score for n in neighbours}
        texts = {}
        for pk, score in r.text_scores(query.text or "", r.settings.candidates).items():
            attrs = r.index.attributes(pk)
            if attrs is not None and query.where.accepts(attrs):
                texts[pk] = score
        request = RankRequest(
            candidates,
            text_scores=texts,
            query_colors=tuple(c.name for c in garment.colors),
            query_category=category,
            taste=taste,
            sizes=query.sizes or (taste.sizes if taste else ()),
            limit=query.limit,
        )
        return [(x.pk, x.visual, x.reasons) for x in r.rank(request)]
