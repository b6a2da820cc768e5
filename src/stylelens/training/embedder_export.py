"""The trained projection head as an ONNX file the serving embedder runs after the backbone.

The graph takes `features`, float32 [N, in_dim] (the backbone's L2-normalised vector) and gives `embedding`,
float32 [N, out_dim], L2-normalised. `head.json` beside it says which backbone the head reads and the sizes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np
import onnxruntime as ort
import torch

from stylelens.training.embedder_net import ProjectionHead
from stylelens.training.export import OPSET, PARITY_TOLERANCE, ExportError, sha256_file, write_onnx

INPUT: Final[str] = "features"
OUTPUT: Final[str] = "embedding"


def export_head(head: ProjectionHead, out_dir: Path, backbone: str = "mobilenet_v2") -> tuple[Path, float]:
    """Write `out_dir/model.onnx` and `out_dir/head.json`; return the ONNX path and its parity with torch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    head = head.cpu().eval()
    path = out_dir / "model.onnx"
    write_onnx(head, torch.zeros(2, head.in_dim), path, INPUT, [OUTPUT], exporter="torchscript")
    parity = check_head_parity(head, path)
    (out_dir / "head.json").write_text(json.dumps(head_manifest(head, path, backbone, parity), indent=2))
    return path, parity


def check_head_parity(head: ProjectionHead, onnx_path: Path, batch: int = 5) -> float:
    """Largest absolute difference of ONNX Runtime vs PyTorch on random unit vectors; ExportError over 1e-4."""
    x = torch.nn.functional.normalize(torch.randn(batch, head.in_dim, generator=torch.Generator().manual_seed(0)))
    with torch.no_grad():
        expected = head.eval()(x).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run([OUTPUT], {INPUT: x.numpy()})[0]
    single = session.run([OUTPUT], {INPUT: x[:1].numpy()})[0]
    diff = max(float(np.abs(got - expected).max()), float(np.abs(single - expected[:1]).max()))
    if diff > PARITY_TOLERANCE or got.shape != (batch, head.out_dim):
        raise ExportError(f"{onnx_path} differs from PyTorch by {diff:.2e} (limit {PARITY_TOLERANCE})")
    return diff


def head_manifest(head: ProjectionHead, onnx_path: Path, backbone: str, parity: float) -> dict[str, Any]:
    return {
        "format": "stylelens-embedder-head/1",
        "backbone": backbone,
        "input": INPUT,
        "output": OUTPUT,
        "input_dim": head.in_dim,
        "embedding_dim": head.out_dim,
        "sha256": sha256_file(onnx_path),
        "opset": OPSET,
        "torch": torch.__version__,
        "parity_max_abs_diff": parity,
        "architecture": head.config(),
    }
