"""The embedder head: it learns, resumes, exports faithfully, registers, and serving runs it after the backbone."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from stylelens.config import Settings, StorageSettings, TrainingSettings, VisionSettings  # noqa: E402
from stylelens.training.common import TrainConfig  # noqa: E402
from stylelens.training.embedder import evaluate, train_embedder  # noqa: E402
from stylelens.training.embedder_data import ViewSet  # noqa: E402
from stylelens.training.embedder_export import export_head  # noqa: E402
from stylelens.training.embedder_net import ProjectionHead, ProxyAnchorLoss, SupConLoss  # noqa: E402
from stylelens.training.registry import ModelRegistry  # noqa: E402

DIM = 48
CARD = {"intended_use": "tests", "data": "synthetic", "limits": "none", "command": "pytest"}


def _views(rng: np.random.Generator, first: int, count: int, photos: int, nuisance: np.ndarray) -> ViewSet:
    """Products as random directions; their shopper photos add one of a few strong shared 'backgrounds'."""
    centres = rng.normal(size=(count, DIM))
    rows, products, styles = [], [], []
    for i in range(count):
        rows.append(centres[i])
        products.append(first + i)
        styles.append("packshot")
        for _ in range(photos):
            background = nuisance[rng.integers(len(nuisance))]
            rows.append(centres[i] + 2.5 * background + 0.3 * rng.normal(size=DIM))
            products.append(first + i)
            styles.append("busy")
    x = np.asarray(rows, np.float32)
    return ViewSet(x / np.linalg.norm(x, axis=1, keepdims=True), np.asarray(products), np.asarray(styles))


@pytest.fixture(scope="module")
def sets() -> dict[str, ViewSet]:
    rng = np.random.default_rng(3)
    nuisance = rng.normal(size=(4, DIM)) * 1.5
    test = _views(rng, 5000, 60, 2, nuisance)
    return {
        "train": _views(rng, 0, 120, 3, nuisance),
        "val": _views(rng, 1000, 30, 2, nuisance),
        "gallery": test.where(test.styles == "packshot"),
        "queries": test.where(test.styles != "packshot"),
    }


def _settings(tmp_path: Path, models_dir: Path | None = None) -> Settings:
    vision = VisionSettings(models_dir=models_dir) if models_dir else VisionSettings()
    training = TrainingSettings(tracking=False, registry_dir=tmp_path / "registry")
    return Settings(storage=StorageSettings(data_dir=tmp_path), vision=vision, training=training)


def _config(tmp_path: Path, epochs: int, **kw: object) -> TrainConfig:
    extra = {"out_dim": 32, "hidden": 64, "products_per_batch": 16, **kw.pop("extra", {})}  # type: ignore[dict-item]
    kw = {"patience": 0, "lr": 3e-3, **kw}
    return TrainConfig(dataset="synthetic", epochs=epochs, seed=5, out=tmp_path / "run", threads=1, extra=extra,
                       **kw)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("loss", ["proxy_anchor", "supcon"])
def test_training_from_scratch_lowers_the_loss(tmp_path: Path, sets: dict[str, ViewSet], loss: str) -> None:
    history: list[dict[str, float]] = []
    config = _config(tmp_path, 6, extra={"loss": loss, "init": "orthogonal"})
    train_embedder(_settings(tmp_path), config, sets, command="test", on_epoch=lambda _, m: history.append(m))
    assert history[-1]["loss"] < 0.8 * history[0]["loss"]


def test_the_head_finds_unseen_products_better_than_the_raw_vectors(tmp_path: Path, sets: dict[str, ViewSet]) -> None:
    run = train_embedder(_settings(tmp_path), _config(tmp_path, 4, lr=1e-4), sets, command="test")
    # The test products were never trained on; shared backgrounds fool the raw vectors, not the head.
    frozen, tuned = run.test["frozen"]["recall@1"], run.test["fine-tuned"]["recall@1"]
    assert tuned >= frozen + 0.15, (frozen, tuned)
    assert run.parity <= 1e-4


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path: Path, sets: dict[str, ViewSet]) -> None:
    straight = train_embedder(_settings(tmp_path / "a"), _config(tmp_path / "a", 4), sets, command="test")

    def stop_after_two(epoch: int, _: dict[str, float]) -> None:
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        config = _config(tmp_path / "b", 4)
        train_embedder(_settings(tmp_path / "b"), config, sets, command="t", on_epoch=stop_after_two)
    epochs: list[int] = []
    resumed = train_embedder(_settings(tmp_path / "b"), _config(tmp_path / "b", 4, resume=True), sets, command="t",
                             on_epoch=lambda e, _: epochs.append(e))  # fmt: skip
    assert epochs == [3, 4]
    for a, b in zip(straight.head.state_dict().values(), resumed.head.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    assert resumed.test == straight.test


def test_early_stopping_ends_a_run_that_stopped_improving(tmp_path: Path, sets: dict[str, ViewSet]) -> None:
    config = _config(tmp_path, 60, patience=2)
    run = train_embedder(_settings(tmp_path), config, sets, command="test")
    assert run.epochs < 60
    assert run.best_epoch == run.epochs - 2


def test_losses_prefer_embeddings_that_group_products() -> None:
    labels = torch.tensor([0, 0, 1, 1])
    grouped = torch.nn.functional.normalize(torch.tensor([[1.0, 0.1], [1.0, -0.1], [-0.1, 1.0], [0.1, 1.0]]))
    mixed = grouped[[0, 2, 1, 3]]
    proxy = ProxyAnchorLoss(2, 2)
    with torch.no_grad():
        proxy.proxies.copy_(torch.eye(2))
    assert proxy(grouped, labels) < proxy(mixed, labels)
    assert SupConLoss()(grouped, labels) < SupConLoss()(mixed, labels)


def _trained_head(seed: int) -> ProjectionHead:
    torch.manual_seed(seed)
    head = ProjectionHead(1280, 64, 128)
    with torch.no_grad():  # a head that is far from the identity, so a skipped head would show
        for p in head.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return head.eval()


def test_serving_runs_the_registered_head_after_the_backbone(tmp_path: Path, models_dir: Path) -> None:
    from stylelens.services import Services
    from stylelens.vision.embedder import Embedder

    head = _trained_head(0)
    onnx_path, parity = export_head(head, tmp_path / "export")
    assert parity <= 1e-4
    registry = ModelRegistry(tmp_path / "registry")
    version = registry.register("embedder", onnx_path, CARD, {"recall_at_1": 0.5}, [onnx_path.parent / "head.json"])
    registry.activate("embedder", version)
    assert "Reproduce" in (registry.get("embedder", version).card_path.read_text())

    services = Services(_settings(tmp_path, models_dir))
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8))
    mask = np.zeros((120, 90), bool)
    mask[20:100, 15:75] = True
    served = services.embedder.embed([photo], [mask])
    backbone = Embedder(models_dir, threads=1).embed([photo], [mask])
    with torch.no_grad():
        expected = head(torch.from_numpy(backbone)).numpy()
    assert served.shape == (1, 64) and services.embedder.dim == 64
    assert np.abs(served - expected).max() <= 1e-4
    assert services.embedder.identity != "mobilenet_v2"


def test_rollback_serves_the_previous_head(tmp_path: Path, models_dir: Path) -> None:
    from stylelens.services import Services

    registry = ModelRegistry(tmp_path / "registry")
    identities = []
    for seed in (1, 2):
        onnx_path, _ = export_head(_trained_head(seed), tmp_path / f"export{seed}")
        version = registry.register("embedder", onnx_path, CARD, {}, [onnx_path.parent / "head.json"])
        registry.activate("embedder", version)
        identities.append(Services(_settings(tmp_path, models_dir)).embedder.identity)
    assert identities[0] != identities[1]
    registry.rollback("embedder")
    assert Services(_settings(tmp_path, models_dir)).embedder.identity == identities[0]


def test_a_head_for_another_backbone_is_refused(tmp_path: Path, models_dir: Path) -> None:
    from stylelens.errors import NotReady
    from stylelens.vision.embedder import Embedder

    export_head(ProjectionHead(640, 16, 32), tmp_path / "small")
    embedder = Embedder(models_dir, threads=1, projection=tmp_path / "small")
    with pytest.raises(NotReady, match="rollback"):
        embedder.load()


def test_frozen_evaluation_ranks_raw_vectors(sets: dict[str, ViewSet]) -> None:
    identical = ViewSet(sets["gallery"].vectors, sets["gallery"].products, np.asarray(["sheet"] * 60))
    assert evaluate(None, identical, sets["gallery"])["recall@1"] == 1.0


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"), reason="needs Fashion-MNIST")
def test_train_command_reads_photos_trains_and_registers(tmp_path: Path, models_dir: Path) -> None:
    from typer.testing import CliRunner

    from stylelens.cli import app
    from stylelens.config import get_settings

    env = {"STYLELENS_STORAGE__DATA_DIR": str(tmp_path), "STYLELENS_VISION__MODELS_DIR": str(models_dir),
           "STYLELENS_TRAINING__REGISTRY_DIR": str(tmp_path / "registry"),
           "STYLELENS_TRAINING__TRACKING": "false"}  # fmt: skip
    args = ["train", "embedder", "--epochs", "2", "--train-products", "8", "--val-products", "3", "--views", "1",
            "--catalog", "12", "--queries", "6", "--out-dim", "32", "--hidden", "64", "--threads", "1"]  # fmt: skip
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, args, env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "recall@1" in result.output and "registered embedder v1" in result.output
    version = ModelRegistry(tmp_path / "registry").get("embedder", "v1")
    card = version.card_path.read_text()
    assert "stylelens train embedder --epochs 2" in card
    assert " CPU cores, torch " in card, "the card names the machine it was trained on"
    assert (tmp_path / "runs" / "embedder" / "checkpoints" / "best.pt").is_file()


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"), reason="needs Fashion-MNIST")
def test_a_catalog_embedded_by_another_embedder_is_refused_until_rebuilt(tmp_path: Path, models_dir: Path) -> None:
    from typer.testing import CliRunner

    from stylelens.catalog.demo_feed import demo_catalog_items
    from stylelens.cli import app
    from stylelens.config import get_settings
    from stylelens.errors import NotReady
    from stylelens.services import Services

    settings = _settings(tmp_path, models_dir)
    before = Services(settings)
    before.ingestor.ingest(demo_catalog_items(7, 4, settings.catalog.shop_url))
    before.check_embedder()  # embedded by the embedder that serves
    assert before.embedder.dim == 1280

    registry = ModelRegistry(settings.registry_dir)
    onnx_path, _ = export_head(_trained_head(3), tmp_path / "export")
    registry.activate("embedder", registry.register("embedder", onnx_path, CARD, {}, [onnx_path.parent / "head.json"]))
    after = Services(settings)
    with pytest.raises(NotReady, match="stylelens index rebuild"):
        after.check_embedder()
    with pytest.raises(NotReady, match="stylelens index rebuild"):
        _ = after.index

    env = {"STYLELENS_STORAGE__DATA_DIR": str(tmp_path), "STYLELENS_VISION__MODELS_DIR": str(models_dir),
           "STYLELENS_TRAINING__REGISTRY_DIR": str(settings.registry_dir)}  # fmt: skip
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["index", "rebuild"], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rebuilt = Services(settings)
    rebuilt.check_embedder()
    assert rebuilt.index.dim == 64 and len(rebuilt.index) == 4
    item = next(iter(demo_catalog_items(7, 1, settings.catalog.shop_url)))
    query = rebuilt.analyser.analyse_batch([item.image], [item.mask], attributes=False)[0][0].embedding
    best = rebuilt.index.search(query, 1)[0]
    with rebuilt.sessions() as session:
        from stylelens.storage.models import Product

        assert session.get(Product, best.label).product_id == item.product.product_id  # type: ignore[union-attr]
