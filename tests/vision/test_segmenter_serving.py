"""The trained garment segmenter in serving: used for a garment on a busy background, never on a person photo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from stylelens.services import Services
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.foreground import garment_mask, plain_background_mask, reduce_photo
from stylelens.vision.segmenter import GarmentSegmenter, active_segmenter

COMMITTED = Path(__file__).resolve().parents[2] / "models" / "segmenter" / "model.onnx"


class CountingSegmenter(GarmentSegmenter):
    """The real segmenter, counting the photos it is asked about."""

    calls = 0

    def mask(self, photo: Image.Image | NDArray[np.uint8]) -> NDArray[np.bool_]:
        self.calls += 1
        return super().mask(photo)


@pytest.fixture
def segmenter(models_dir: Path) -> CountingSegmenter:
    found = active_segmenter(models_dir)
    onnx_path = found.onnx_path if found is not None else COMMITTED
    if not onnx_path.is_file():
        pytest.skip("no trained segmenter here (`stylelens train segmenter` registers one)")
    return CountingSegmenter(models_dir, onnx_path=onnx_path)


def busy_composite() -> tuple[Image.Image, NDArray[np.bool_]]:
    """A demo shirt pasted on scikit-learn's flower photo (a background the segmenter never trained on), and
    the exact mask of the pasted pixels."""
    from sklearn.datasets import load_sample_image

    from stylelens.catalog.demo import demo_products

    item = [i for i in demo_products(3, 8) if i.product.category == "shirt"][0]
    garment = item.image.convert("RGB")
    garment.putalpha(Image.fromarray(item.mask.astype(np.uint8) * 255))
    garment = garment.crop(garment.getbbox())
    scale = 320 / max(garment.size)
    garment = garment.resize((round(garment.width * scale), round(garment.height * scale)))
    scene = Image.fromarray(load_sample_image("flower.jpg")).crop((100, 0, 527, 427)).resize((480, 480))
    scene.paste(garment, (80, 70), garment)
    truth = np.zeros((480, 480), bool)
    truth[70 : 70 + garment.height, 80 : 80 + garment.width] = np.asarray(garment)[..., 3] > 127
    return scene, truth


def iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_a_garment_on_a_busy_background_is_cut_out_by_the_segmenter(
    analyser: GarmentAnalyser, segmenter: CountingSegmenter
) -> None:
    photo, truth = busy_composite()
    rgb = np.asarray(photo)
    assert plain_background_mask(rgb, reduce_photo(rgb)) is None  # the colour model gives up on this photo
    reading = GarmentAnalyser(analyser.embedder, persons=analyser.persons, segmenter=segmenter).analyse_photo(photo)
    assert segmenter.calls == 1 and not reading.person
    found = reading.garments[0].mask
    assert iou(found, truth) >= 0.75
    assert iou(found, truth) > iou(garment_mask(rgb), truth) + 0.2  # today's GrabCut mask misses it


def test_without_a_segmenter_the_photo_reads_as_before(analyser: GarmentAnalyser) -> None:
    photo, _ = busy_composite()
    reading = GarmentAnalyser(analyser.embedder, persons=analyser.persons).analyse_photo(photo)
    assert np.array_equal(reading.garments[0].mask, garment_mask(np.asarray(photo)))


def test_a_photo_of_a_person_never_reaches_the_segmenter(
    analyser: GarmentAnalyser, segmenter: CountingSegmenter, real_photo: Callable[[str], Image.Image]
) -> None:
    reading = GarmentAnalyser(analyser.embedder, persons=analyser.persons, segmenter=segmenter).analyse_photo(
        real_photo("grace_hopper")
    )
    assert reading.person and segmenter.calls == 0


def test_the_service_builds_the_analyser_with_the_registry_s_active_segmenter(vision_services: Services) -> None:
    active = active_segmenter(vision_services.settings.models_dir, registry_dir=vision_services.settings.registry_dir)
    assert (vision_services.segmenter is None) == (active is None)
    assert vision_services.analyser.segmenter is vision_services.segmenter
