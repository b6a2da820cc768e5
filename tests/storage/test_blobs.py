"""The local blob store keeps images under safe keys and never writes outside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylelens.errors import InvalidInput, NotFound
from stylelens.storage.blobs import LocalBlobStore


def test_put_get_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("products/FI-1.jpg", b"abc", "image/jpeg")
    assert store.get("products/FI-1.jpg") == b"abc"
    assert store.exists("products/FI-1.jpg")
    assert store.keys("products/") == ["products/FI-1.jpg"]
    store.put("products/FI-1.jpg", b"new", "image/jpeg")
    assert store.get("products/FI-1.jpg") == b"new"
    store.delete("products/FI-1.jpg")
    assert not store.exists("products/FI-1.jpg")
    with pytest.raises(NotFound):
        store.get("products/FI-1.jpg")


@pytest.mark.parametrize("key", ["../escape.jpg", "/etc/passwd", "a/../../b", "", "products/ space.jpg"])
def test_keys_that_could_escape_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(InvalidInput):
        store.put(key, b"x", "image/jpeg")
    assert not (tmp_path / "escape.jpg").exists()
