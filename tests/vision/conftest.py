"""The real vision pipeline (models prepared once per session) and real photos that ship with packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelens.config import Settings
from stylelens.services import Services
from stylelens.vision.analysis import GarmentAnalyser

OPENCV_SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")


@pytest.fixture(scope="session")
def vision_services(tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings]) -> Services:
    return Services(make_settings(tmp_path_factory.mktemp("vision")))


@pytest.fixture(scope="session")
def analyser(vision_services: Services) -> GarmentAnalyser:
    analyser = vision_services.analyser
    analyser.load()
    return analyser


@pytest.fixture(scope="session")
def real_photo() -> Callable[[str], Image.Image]:
    """Loads a real photo by name (see `load_real_photo`)."""
    return load_real_photo


def load_real_photo(name: str) -> Image.Image:
    """astronaut (scikit-image), grace_hopper (matplotlib), messi5 / basketball1 (Debian opencv-doc)."""
    if name == "astronaut":
        from skimage import data

        return Image.fromarray(np.asarray(data.astronaut()))
    if name == "grace_hopper":
        import matplotlib

        return Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")
    path = OPENCV_SAMPLES / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: `make test` installs the Debian package opencv-doc")
    return Image.open(path).convert("RGB")
