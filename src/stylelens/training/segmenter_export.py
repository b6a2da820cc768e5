"""The trained segmenter as an ONNX file for serving, checked against PyTorch, and registered with its card.

The graph takes `image`, float32 [N, 3, side, side] (RGB, 0..1; dynamic batch) and gives `logits`,
float32 [N, 1, side, side] (garment where > 0). `segmenter.json` beside it says the side and the threshold,
which `stylelens.vision.segmenter.GarmentSegmenter` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import onnxruntime as ort
import torch

from stylelens.training.common import machine_summary
from stylelens.training.export import PARITY_TOLERANCE, ExportError, sha256_file, write_onnx
from stylelens.training.registry import ModelRegistry
from stylelens.training.segmenter_net import GarmentSegNet
from stylelens.vision.segmenter import CONFIG_FILE

INPUT: Final[str] = "image"
OUTPUT: Final[str] = "logits"


def export_segmenter(model: GarmentSegNet, out_dir: Path, side: int) -> tuple[Path, float]:
    """Write `out_dir/model.onnx` and `out_dir/segmenter.json`; return the ONNX path and its parity."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    path = out_dir / "model.onnx"
    write_onnx(model, torch.zeros(2, 3, side, side), path, INPUT, [OUTPUT], exporter="torchscript")
    parity = check_parity(model, path, side)
    manifest = {"format": "stylelens-segmenter/1", "input": INPUT, "output": OUTPUT, "input_size": side,
                "threshold_logit": 0.0, "sha256": sha256_file(path), "parity_max_abs_diff": parity}  # fmt: skip
    (out_dir / CONFIG_FILE).write_text(json.dumps(manifest, indent=2))
    return path, parity


def check_parity(model: GarmentSegNet, onnx_path: Path, side: int, batch: int = 3) -> float:
    """Largest absolute logit difference of ONNX Runtime vs PyTorch on random photos; ExportError over 1e-4."""
    images = torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model.eval()(images).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run([OUTPUT], {INPUT: images.numpy()})[0]
    single = session.run([OUTPUT], {INPUT: images[:1].numpy()})[0]
    diff = max(float(np.abs(got - expected).max()), float(np.abs(single - expected[:1]).max()))
    if diff > PARITY_TOLERANCE or got.shape != (batch, 1, side, side):
        raise ExportError(f"{onnx_path} differs from PyTorch by {diff:.2e} (limit {PARITY_TOLERANCE})")
    return diff


def register_segmenter(registry: ModelRegistry, run_dir: Path, *, activate: bool = False) -> str:
    """Put the run's exported model in the registry with its model card; returns the new version."""
    meta = json.loads((run_dir / "run.json").read_text())
    metrics = {f"test_{k}": v for k, v in meta["test"].items()}
    metrics |= {f"val_{k}": v for k, v in meta["val"].items()}
    metrics["onnx_parity_max_abs_diff"] = meta["parity"]
    return registry.register(
        "segmenter", run_dir / "model.onnx", model_card(meta), metrics, files=[run_dir / CONFIG_FILE],
        activate=activate,
    )  # fmt: skip


def model_card(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The model card's sections for a training run's meta (run.json)."""
    k = meta["knobs"]
    recipe = _dataset_recipe(Path(meta["dataset"]))
    return {
        "title": "StyleLens garment segmenter",
        "intended_use": (
            "Separating the garment from the background in a shopper's photo or a flat-lay (binary mask) before "
            "colour, pattern and embedding analysis. Not for people: it does not segment persons or skin, and "
            "must not be used to identify or profile anyone."
        ),
        "data": (
            f"Dataset `{meta['dataset_name']}` ({meta['dataset']}): synthetic copy-paste composites of demo-catalog "
            "garments (Fashion-MNIST shapes, recoloured and re-printed) on real photos that ship with scikit-image, "
            "scikit-learn, matplotlib and OpenCV, on tinted sheets, and over the torso of people in real photos; "
            "exact masks. Splits by catalog product; the test split uses only held-out background photos "
            "(chelsea, flower, grace_hopper)."
        ),
        "metrics": {"definition": "IoU pooled over all test pixels; mIoU = mean of background and garment IoU"},
        "limits": [
            "Trained on synthetic composites only: pasted garments have flat studio shading and sharp outlines; "
            "real worn clothes (folds, occlusion by arms and hair) are out of its training distribution.",
            "In composites the person's own clothes outside the pasted garment are labelled background, so on real "
            "photos of people it may miss or split real clothing.",
            "Garment shapes come from 10 Fashion-MNIST categories; accessories, jewellery and layered outfits are "
            "not represented.",
            f"Input is a {k['input_size']}x{k['input_size']} square: fine detail (straps, laces) is lost and "
            "non-square photos are squashed.",
        ],
        "training": {
            "network": f"MobileNetV2 (ImageNet, torchvision weights) + FPN decoder width {k['width']}",
            "frozen_stages": k["frozen_stages"],
            "best_epoch": meta["best_epoch"],
            "input_size": k["input_size"],
            "machine": machine_summary(),
        },
        "command": f"{recipe}\n{meta['command']}" if recipe else meta["command"],
    }


def _dataset_recipe(root: Path) -> str | None:
    """The `stylelens data synth` command a synthetic dataset records in its sources, if it does."""
    from stylelens.data.manifest import Dataset, DatasetError

    try:
        sources = Dataset.open(root).sources
    except DatasetError:
        return None
    recipes = [s["provenance"] for s in sources if s.get("provenance", "").startswith("stylelens data synth")]
    return recipes[0] if recipes else None
