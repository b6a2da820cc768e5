"""The silhouette classifier: its data comes from the real pipeline, it trains, exports with parity, and serves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stylelens.catalog.demo import CATEGORIES
from stylelens.services import Services
from stylelens.training.silhouette_data import SilhouetteData, silhouette_data
from stylelens.vision.categories import CategoryModel
from stylelens.vision.shape import SHAPE_FEATURES
from stylelens.vision.silhouette import (
    CONFIG_FILE,
    DEFAULT_SILHOUETTE,
    SilhouetteClassifier,
    load_silhouette,
    prepare_silhouette,
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, make_settings) -> Services:  # type: ignore[no-untyped-def]
    return Services(make_settings(tmp_path_factory.mktemp("silhouette")))


def test_descriptors_come_from_packshots_and_shopper_photos_as_the_pipeline_cuts_them(
    services: Services, tmp_path: Path
) -> None:
    data = silhouette_data(services.analyser, 5, first=40_000, photos=2)
    assert data.shapes.shape[1] == SHAPE_FEATURES and data.shapes.dtype == np.float32
    assert 5 < len(data.labels) <= 15  # a packshot each, and the photos the pipeline found a garment in
    assert (data.views == "packshot").sum() == 5 and len(set(data.views.tolist())) >= 3
    assert set(data.products.tolist()) == set(range(40_000, 40_005))
    assert all(0 <= label < len(CATEGORIES) for label in data.labels)
    again = silhouette_data(services.analyser, 5, first=40_000, photos=2)
    assert np.array_equal(again.shapes, data.shapes)  # seeded: the same products, photos and masks
    data.save(str(tmp_path / "d.npz"))
    assert np.array_equal(SilhouetteData.load(str(tmp_path / "d.npz")).labels, data.labels)


def test_a_short_training_run_exports_a_model_the_service_reads_with_parity(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from stylelens.training.silhouette import train_silhouette

    rng = np.random.default_rng(0)
    labels = np.arange(200) % len(CATEGORIES)
    shapes = rng.normal(size=(200, SHAPE_FEATURES)).astype(np.float32)
    shapes[:, :16] += labels[:, None]  # a learnable signal in the first coverage row
    data = SilhouetteData(shapes, labels.astype(np.int64), np.arange(200) // 2, np.array(["packshot"] * 200))
    lines: list[str] = []
    run = train_silhouette(data, tmp_path / "model", CATEGORIES, epochs=3, width=8, log=lines.append)
    assert len(lines) == 3 and run.metrics["onnx_parity_max_abs"] <= 1e-4
    config = json.loads((tmp_path / "model" / CONFIG_FILE).read_text())
    assert config["classes"] == list(CATEGORIES) and config["input_dim"] == SHAPE_FEATURES
    assert "Intended use" in (tmp_path / "model" / "card.md").read_text()
    served = SilhouetteClassifier(tmp_path / "model")
    p = served.probabilities(shapes[:7])
    assert p.shape == (7, len(CATEGORIES)) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    (tmp_path / "model" / "model.onnx").write_bytes(b"not a model")
    from stylelens.errors import NotReady

    with pytest.raises(NotReady, match="does not match"):
        SilhouetteClassifier(tmp_path / "model").load()


@pytest.mark.skipif(not (DEFAULT_SILHOUETTE / CONFIG_FILE).is_file(), reason="no committed silhouette classifier")
def test_models_prepare_serves_the_committed_classifier_and_it_names_catalog_packshots(
    tmp_path: Path, services: Services
) -> None:
    assert load_silhouette(tmp_path) is None
    target = prepare_silhouette(tmp_path)
    assert target is not None and prepare_silhouette(tmp_path) == target  # a second prepare copies nothing
    classifier = load_silhouette(tmp_path)
    assert classifier is not None and set(classifier.classes) == set(CATEGORIES)
    metrics = json.loads((DEFAULT_SILHOUETTE / "metrics.json").read_text())
    assert metrics["val_accuracy"] >= 0.75
    from stylelens.catalog.demo import demo_products
    from stylelens.vision.shape import shape_features

    items = list(demo_products(seed=7, count=60))
    shapes = np.stack([shape_features(np.asarray(i.image), i.mask) for i in items])
    right = classifier.probabilities(shapes).argmax(1) == [classifier.classes.index(i.product.category) for i in items]
    assert right.mean() >= 0.7  # catalog packshots it never trained on
    # The service joins it with the category head: one product of experts, still probabilities.
    analyser = services.analyser
    assert analyser.categories is not None and analyser.categories.silhouette is not None
    model: CategoryModel = analyser.categories
    features = np.zeros((2, model.head.mean.shape[0]), np.float32)
    own = model.head_probabilities(features, shapes[:2])
    assert own.shape == (2, len(model.head.classes)) and np.allclose(own.sum(1), 1.0, atol=1e-5)
