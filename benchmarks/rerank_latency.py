"""What re-ranking 200 candidates adds to a photo search, measured in one run on the same photos.

Plain search: decode, garment analysis, embedding, top-20 from the HNSW index, rows from the database.
Re-ranked search: the same, but the index gives 200 candidates and the re-ranker orders them (size
availability, attribute match, MMR diversity, duplicate collapse, cut-off, reasons) — what a shopper who
gave their size gets. The two are interleaved photo by photo. Prints p50/p95 of both, the added share
(the goal is <= 20%), and the re-ranker alone on 200 candidates.

    .venv/bin/python benchmarks/rerank_latency.py [--size 2400] [--photos 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time

sys.path.insert(0, "benchmarks")
from _common import demo_services, machine, p50_p95, timings_ms  # noqa: E402
from sqlalchemy import select  # noqa: E402

from stylelens.recommend.hook import SearchReranker  # noqa: E402
from stylelens.recommend.ranking import RankRequest  # noqa: E402
from stylelens.recommend.search import SearchQuery, VisualSearch  # noqa: E402
from stylelens.storage.models import Product  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=2400)
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    services = demo_services(args.size)
    v, recommender = services.settings.vision, services.recommender
    plain = VisualSearch(services.analyser, services.index, services.sessions, max_bytes=v.max_bytes,
                         max_pixels=v.max_pixels)  # fmt: skip
    ranked = VisualSearch(services.analyser, services.index, services.sessions, max_bytes=v.max_bytes,
                          max_pixels=v.max_pixels, ranker=SearchReranker(recommender))  # fmt: skip
    with services.sessions() as session:
        keys = session.scalars(select(Product.image_key).order_by(Product.pk).limit(args.photos)).all()
    photos = [services.blobs.get(k) for k in keys]
    plain_q, ranked_q = SearchQuery(limit=20), SearchQuery(limit=20, sizes=("M", "39"))
    assert len(ranked.search(photos[0], ranked_q).results) == 20
    for photo in photos[:3]:  # warm up both paths (models, catalog view)
        plain.search(photo, plain_q)
        ranked.search(photo, ranked_q)
    t_plain, t_ranked = [], []
    for _ in range(args.repeat):
        for photo in photos:
            for engine, query, out in ((plain, plain_q, t_plain), (ranked, ranked_q, t_ranked)):
                start = time.perf_counter()
                engine.search(photo, query)
                out.append((time.perf_counter() - start) * 1000)
    view = recommender.view()
    candidates = {n.label: n.score for n in services.index.search(view.vectors[0], 200)}
    request = RankRequest(candidates, sizes=("M", "39"), limit=20)
    t_rank = timings_ms(lambda: recommender.rank(request), repeat=200)
    (pp50, pp95), (rp50, rp95), (kp50, kp95) = p50_p95(t_plain), p50_p95(t_ranked), p50_p95(t_rank)
    print(f"machine: {machine()}; catalog {len(view)} items; {len(photos)} photos x {args.repeat}")
    print(f"plain search (top 20)            p50 {pp50:7.1f} ms  p95 {pp95:7.1f} ms  (baseline)")
    print(f"search + re-rank 200 candidates  p50 {rp50:7.1f} ms  p95 {rp95:7.1f} ms")
    print(f"re-ranker alone, 200 candidates  p50 {kp50:7.2f} ms  p95 {kp95:7.2f} ms")
    print(f"added by re-ranking: {rp50 / pp50 - 1:+.1%} at p50, {rp95 / pp95 - 1:+.1%} at p95 (goal <= +20%)")


if __name__ == "__main__":
    main()
