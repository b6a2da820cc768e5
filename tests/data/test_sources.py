"""Each source on a tiny input built here: folders, a CSV with a real loopback web server, COCO, Fashion-MNIST,
the demo catalog. Bad pictures and rows are reported and skipped, never fatal."""

from __future__ import annotations

import csv
import json
import threading
import warnings
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from stylelens.catalog.fashion_mnist import CLASS_NAMES, load_fashion_mnist
from stylelens.data.manifest import Dataset
from stylelens.data.prepare import prepare_dataset
from stylelens.data.sources import open_source
from stylelens.data.sources.base import ItemIds
from stylelens.data.sources.coco_masks import annotation_mask, decode_counts, polygon_mask, rle_mask

Photo = Callable[[int], Image.Image]


def pixels(path: Path | None) -> np.ndarray:
    assert path is not None
    with Image.open(path) as picture:
        return np.asarray(picture)


def test_imagefolder_with_split_folders(tmp_path: Path, image_folder: Path) -> None:
    report = prepare_dataset(open_source("imagefolder", image_folder, licence="CC-BY-4.0"), tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    ds.verify()
    assert report.added == 12 and ds.meta["splits"] == {"train": 8, "val": 0, "test": 4}
    assert ds.labels == ["dress", "shirt"] and ds.task == "classification"
    assert {(it.attributes["origin"], it.split, it.label) for it in ds.items()} >= {
        ("test/dress/p0.png", "test", "dress")
    }
    assert all(it.licence == "CC-BY-4.0" for it in ds.items()) and ds.sources[0]["licence"] == "CC-BY-4.0"
    assert {it.id for it in ds.items()} >= {"test_dress_p0", "train_shirt_p1"}  # readable in reports
    make_id = ItemIds()
    assert [make_id("a b/c.jpg"), make_id("a_b/c.jpg"), make_id("../..")] == ["a_b_c.jpg", "a_b_c.jpg-2", "item"]
    assert [(s.origin, "JPEG" in s.reason) for s in report.skipped] == [("train/shirt/broken.jpg", True)]


def test_imagefolder_flat_layout_draws_splits_from_the_seed(tmp_path: Path, photo: Photo) -> None:
    for n in range(40):
        (tmp_path / "in" / f"label{n % 2}").mkdir(parents=True, exist_ok=True)
        photo(n).save(tmp_path / "in" / f"label{n % 2}" / f"{n}.webp", lossless=True)
    first = prepare_dataset(open_source("imagefolder", tmp_path / "in", seed=3), tmp_path / "a")
    again = prepare_dataset(open_source("imagefolder", tmp_path / "in", seed=3), tmp_path / "b")
    assert first.splits == again.splits and first.splits["train"] > first.splits["test"] > 0
    assert Dataset.open(tmp_path / "a").items() == Dataset.open(tmp_path / "b").items()


def test_pictures_go_through_the_decode_path(tmp_path: Path, photo: Photo) -> None:
    """EXIF orientation is applied and no metadata survives: the stored PNG is upright and bare."""
    (tmp_path / "in" / "coat").mkdir(parents=True)
    wide = photo(40).resize((120, 60))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    exif[0x010F] = "PhoneMaker"
    wide.save(tmp_path / "in" / "coat" / "phone.jpg", exif=exif.tobytes(), quality=95)
    prepare_dataset(open_source("imagefolder", tmp_path / "in"), tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    with Image.open(ds.image_path(ds.items()[0])) as stored:
        assert stored.size == (60, 120) and not stored.getexif() and "exif" not in stored.info


@pytest.fixture
def web_server(tmp_path: Path, photo: Photo) -> Iterator[str]:
    """A loopback web server with one photo (shirt.png); anything else is a 404."""
    served = tmp_path / "web"
    served.mkdir()
    photo(21).save(served / "shirt.png")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_csv_with_urls_local_paths_masks_and_bad_rows(tmp_path: Path, photo: Photo, web_server: str) -> None:
    folder = tmp_path / "list"
    folder.mkdir()
    photo(22).save(folder / "dress.jpg")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[20:70, 30:60] = 255
    Image.fromarray(mask).save(folder / "dress-mask.png")
    rows = [
        {"path_or_url": f"{web_server}/shirt.png", "label": "shirt", "split": "train", "mask": ""},
        {"path_or_url": f"{web_server}/missing.png", "label": "shirt", "split": "", "mask": ""},
        {"path_or_url": "dress.jpg", "label": "dress", "split": "test", "mask": "dress-mask.png"},
        {"path_or_url": "dress.jpg", "label": "", "split": "", "mask": ""},
        {"path_or_url": "nowhere.jpg", "label": "dress", "split": "", "mask": ""},
    ]
    with (folder / "photos.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = prepare_dataset(open_source("csv", folder / "photos.csv"), tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    ds.verify()
    shirt, dress = ds.items()
    assert (shirt.label, shirt.split, dress.label, dress.split) == ("shirt", "train", "dress", "test")
    assert np.array_equal(pixels(ds.image_path(shirt)), np.asarray(photo(21)))
    assert np.array_equal(pixels(ds.mask_path(dress)) > 0, mask > 0) and ds.labels == ["dress", "shirt"]
    reasons = {s.origin.split(" ")[0]: s.reason for s in report.skipped}
    assert set(reasons) == {"photos.csv:3", "photos.csv:5", "photos.csv:6"}
    assert "404" in reasons["photos.csv:3"] and "label" in reasons["photos.csv:5"]
    assert "nowhere.jpg" in reasons["photos.csv:6"]


def test_coco_rle_decoding_matches_pycocotools() -> None:
    mask_utils = pytest.importorskip("pycocotools.mask")
    warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)  # pycocotools on numpy 2
    rng = np.random.default_rng(0)
    truth = np.zeros((37, 53), dtype=np.uint8)
    truth[5:30, 10:40] = 1
    truth[rng.random(truth.shape) < 0.05] ^= 1
    encoded = mask_utils.encode(np.asfortranarray(truth))
    counts = encoded["counts"].decode()
    assert np.array_equal(rle_mask({"size": [37, 53], "counts": counts}), truth.astype(bool))
    runs = decode_counts(counts)
    assert np.array_equal(rle_mask({"size": [37, 53], "counts": runs}), truth.astype(bool))
    polygon = [[10.0, 5.0, 45.0, 8.0, 40.0, 30.0, 12.0, 25.0]]
    ours = polygon_mask(polygon, 37, 53)
    theirs = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, 37, 53))).astype(bool)
    assert (ours & theirs).sum() / (ours | theirs).sum() > 0.9


def column_major_runs(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts, written the plain way (background first)."""
    flat = mask.T.ravel()
    bounds = np.r_[0, np.flatnonzero(flat[1:] != flat[:-1]) + 1, flat.size]
    return ([0] if flat[0] else []) + np.diff(bounds).tolist()


def write_coco(folder: Path, photo: Photo) -> Path:
    (folder / "images").mkdir(parents=True)
    photo(31).resize((120, 80)).save(folder / "images" / "a.jpg")
    photo(32).resize((120, 80)).save(folder / "images" / "b.png")
    (folder / "images" / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    square = np.zeros((80, 120), dtype=bool)
    square[10:50, 60:100] = True
    runs = column_major_runs(square)
    doc = {
        "licenses": [{"id": 1, "name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}],
        "categories": [{"id": 1, "name": "dress"}, {"id": 2, "name": "bag"}],
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 120, "height": 80, "license": 1},
            {"id": 2, "file_name": "b.png", "width": 120, "height": 80},
            {"id": 3, "file_name": "c.png", "width": 120, "height": 80},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0,
             "segmentation": [[10, 10, 50, 10, 50, 70, 10, 70]]},
            {"id": 11, "image_id": 1, "category_id": 2, "iscrowd": 0,
             "segmentation": {"size": [80, 120], "counts": runs}},
            {"id": 12, "image_id": 2, "category_id": 2, "iscrowd": 0, "segmentation": [[1, 1, 2, 1, 2, 2]]},
            {"id": 13, "image_id": 3, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 50, 1, 50, 50]]},
        ],
    }  # fmt: skip
    assert runs[:2] == [60 * 80 + 10, 40]  # 60 columns and 10 rows of background, then 40 garment pixels
    (folder / "instances.json").write_text(json.dumps(doc))
    return folder / "instances.json"


def test_coco_instances_become_crops_with_their_masks(tmp_path: Path, photo: Photo) -> None:
    source = open_source("coco", write_coco(tmp_path / "coco", photo), licence="proprietary")
    report = prepare_dataset(source, tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    ds.verify()
    dress, bag = ds.items()
    assert (dress.id, dress.label, bag.id, bag.label) == ("coco-10", "dress", "coco-11", "bag")
    assert dress.group == bag.group == "coco-image-1" and dress.split == bag.split
    assert dress.licence == "CC BY 4.0" and ds.task == "segmentation"
    assert pixels(ds.image_path(bag)).shape == (48, 48, 3)  # 40x40 box plus a 10% margin each side
    assert (pixels(ds.mask_path(bag)) > 0).sum() == 40 * 40
    assert {s.origin for s in report.skipped} == {"b.png annotation 12", "c.png"}


def test_coco_image_mode_unions_the_masks(tmp_path: Path, photo: Photo) -> None:
    source = open_source("coco", write_coco(tmp_path / "coco", photo), coco_mode="image")
    prepare_dataset(source, tmp_path / "ds")
    ds = Dataset.open(tmp_path / "ds")
    first = ds.items()[0]
    assert first.id == "coco-image-1" and first.label == "dress" and first.attributes["categories"] == ["bag", "dress"]
    union = pixels(ds.mask_path(first)) > 0
    expected = annotation_mask([[10, 10, 50, 10, 50, 70, 10, 70]], 80, 120)
    expected[10:50, 60:100] = True
    assert np.array_equal(union, expected)


def test_fashion_mnist_subset(tmp_path: Path) -> None:
    images, labels = load_fashion_mnist("test")
    report = prepare_dataset(open_source("fashion-mnist", None, limit=200), tmp_path / "fm")
    ds = Dataset.open(tmp_path / "fm")
    ds.verify()
    assert report.added == 200 and ds.meta["splits"] == {"train": 157, "val": 14, "test": 29}
    assert ds.labels == list(CLASS_NAMES) and {it.label for it in ds.items()} <= set(CLASS_NAMES)
    assert "MIT" in ds.sources[0]["licence"] and "Zalando" in ds.sources[0]["provenance"]
    first_test = ds.items("test")[0]
    assert first_test.id == "fmnist-test-00000" and first_test.label == CLASS_NAMES[int(labels[0])]
    assert np.array_equal(pixels(ds.image_path(first_test)), images[0])  # 28x28 grey, pixel for pixel


def test_demo_catalog_keeps_products_masks_and_attributes(tmp_path: Path) -> None:
    prepare_dataset(open_source("demo", None, seed=7, limit=6), tmp_path / "demo")
    ds = Dataset.open(tmp_path / "demo")
    first = ds.items()[0]
    assert first.id == first.group == "FI-000001" and first.label in ds.labels
    assert first.attributes["pattern"] and first.attributes["colors"]
    mask = pixels(ds.mask_path(first))
    assert mask.shape == (512, 512) and 0.05 < (mask > 0).mean() < 0.9
    assert "Fashion-MNIST" in first.licence
