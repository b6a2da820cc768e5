"""Real photos of people that ship with packages: scikit-image, matplotlib and Debian's opencv-doc."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

OPENCV_SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")


def face_photos() -> dict[str, Image.Image]:
    """Each photo by name; opencv-doc's are skipped with a reason when the Debian package is missing."""
    import matplotlib.cbook
    from skimage import data

    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as grace:
        photos = {"astronaut": Image.fromarray(data.astronaut()), "grace_hopper": grace.convert("RGB")}
    for name in ("messi5.jpg", "basketball1.png", "basketball2.png"):
        path = OPENCV_SAMPLES / name
        if not path.is_file():
            pytest.skip(f"{path} missing: install the Debian package opencv-doc (make test does, as root)")
        with Image.open(path) as photo:
            photos[name.split(".")[0]] = photo.convert("RGB")
    return photos
