"""The command line: import a CSV catalog (bad rows reported, not fatal), rebuild the index, build the demo."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select
from typer.testing import CliRunner

from stylelens.cli import app
from stylelens.config import Settings, get_settings
from stylelens.services import Services
from stylelens.storage.models import Product

runner = CliRunner()


@pytest.fixture
def settings(tmp_path: Path, make_settings: Callable[[Path], Settings], monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(tmp_path / "data")
    monkeypatch.setenv("STYLELENS_STORAGE__DATA_DIR", str(settings.storage.data_dir))
    monkeypatch.setenv("STYLELENS_VISION__MODELS_DIR", str(settings.models_dir))
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def garment_photo(path: Path, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (400, 400), (245, 245, 245))
    ImageDraw.Draw(image).polygon([(120, 60), (280, 60), (330, 340), (70, 340)], fill=colour)
    image.save(path)


def write_catalog(folder: Path) -> Path:
    garment_photo(folder / "red.jpg", (200, 40, 40))
    garment_photo(folder / "navy.png", (30, 42, 70))
    (folder / "broken.jpg").write_bytes(b"not an image")
    rows = [
        ["product_id", "title_en", "title_fr", "category", "price", "product_url", "image", "sizes", "stock"],
        ["P1", "Red skirt", "Jupe rouge", "skirt", "39.90", "https://shop/p1", "red.jpg", "S|M", "S:2|M:0"],
        ["P2", "Navy skirt", "Jupe marine", "skirt", "45", "https://shop/p2", "navy.png", "M", "M:1"],
        ["P3", "Broken", "Cassé", "skirt", "10", "https://shop/p3", "broken.jpg", "", ""],
        ["P4", "Free", "Gratuit", "skirt", "-5", "https://shop/p4", "red.jpg", "", ""],
        ["P5", "", "Sans titre", "skirt", "12", "https://shop/p5", "red.jpg", "", ""],
        ["P6", "Escape", "Évasion", "skirt", "12", "https://shop/p6", "../../etc/passwd", "", ""],
    ]
    path = folder / "catalog.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_csv_import_reports_bad_rows_and_keeps_good_ones(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "import", str(write_catalog(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "added 2" in result.output and "rejected 4" in result.output
    for product_id in ("P3", "P4", "P5", "P6"):
        assert f"({product_id})" in result.output
    services = Services(settings)
    assert len(services.index) == 2
    again = runner.invoke(app, ["catalog", "import", str(tmp_path / "catalog.csv")])
    assert "unchanged 2" in again.output


def test_csv_without_required_columns_fails_clearly(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,shirt\n")
    result = runner.invoke(app, ["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "missing column" in result.output


def test_index_rebuild_restores_a_lost_index(settings: Settings, tmp_path: Path) -> None:
    runner.invoke(app, ["catalog", "import", str(write_catalog(tmp_path))])
    for file in settings.index_dir.iterdir():
        file.unlink()
    result = runner.invoke(app, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 items" in result.output
    assert len(Services(settings).index) == 2


def test_demo_catalog_is_built_once(settings: Settings) -> None:
    first = runner.invoke(app, ["catalog", "demo", "--size", "24", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "added 24" in first.output
    second = runner.invoke(app, ["catalog", "demo", "--size", "24", "--seed", "3"])
    assert "already built" in second.output
    assert len(Services(settings).index) == 24


def test_csv_import_reads_large_images_at_the_working_side_and_keeps_palette_colours(
    settings: Settings, tmp_path: Path
) -> None:
    photo = Image.new("RGB", (2400, 1800), (245, 245, 245))
    ImageDraw.Draw(photo).polygon([(700, 300), (1700, 300), (1900, 1600), (500, 1600)], fill=(30, 42, 70))
    photo.save(tmp_path / "big.jpg", quality=90)
    rows = [
        ["product_id", "title_en", "title_fr", "category", "price", "product_url", "image", "colors"],
        ["B1", "Navy skirt", "Jupe marine", "skirt", "45", "https://shop/b1", "big.jpg", "Bleu marine|WHITE"],
        ["B2", "Navy skirt", "Jupe marine", "skirt", "45", "https://shop/b2", "big.jpg", "Nuit d'été"],
    ]
    with (tmp_path / "big.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = runner.invoke(app, ["catalog", "import", str(tmp_path / "big.csv")])
    assert result.exit_code == 0 and "added 2" in result.output, result.output
    services = Services(settings)
    with services.sessions() as session:
        products = {p.product_id: p for p in session.scalars(select(Product))}
    assert products["B1"].colors == ["navy", "white"]  # the shop's words, as palette names
    assert products["B2"].colors and products["B2"].colors[0] == "navy"  # a word the palette lacks: the image's
    from stylelens.catalog.colour_names import shop_words
    from stylelens.catalog.csv_feed import product_from_row

    row = dict(zip(rows[0], rows[2], strict=True))
    assert product_from_row(row, shop_words({"Nuit d'été": "navy"})).colors == ("navy",)  # the shop's own word
    stored = Image.open(io.BytesIO(services.blobs.get(products["B1"].image_key)))
    side = settings.integration.image_side
    assert side / 1.25 <= max(stored.size) <= side * 1.25 and stored.size[0] > stored.size[1]
