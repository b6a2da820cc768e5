"""A trained garment classifier as one self-contained ONNX file, checked against PyTorch before it is kept.

The graph takes `image`, float32 [N, C, H, W] with pixels scaled to 0..1 (dynamic batch), and gives `logits`
[N, classes]. The parity check runs the same random and real pictures through both and refuses the file when
any logit differs by more than 1e-4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import onnxruntime as ort
import torch
from torch import Tensor, nn

from stylelens.training.export import PARITY_TOLERANCE, ExportError, write_onnx

INPUT: Final[str] = "image"
OUTPUT: Final[str] = "logits"


def export_classifier(model: nn.Module, image_shape: tuple[int, int, int], path: Path) -> None:
    """Write the model (in eval mode, on the CPU, float32) to `path` as ONNX."""
    model = model.eval().cpu().float()
    write_onnx(model, torch.zeros(2, *image_shape), path, INPUT, [OUTPUT], exporter="dynamo")


def check_parity(model: nn.Module, path: Path, pictures: Tensor) -> float:
    """Largest |ONNX Runtime - PyTorch| over the logits of `pictures` (0..1 floats) and noise; raises over 1e-4."""
    model = model.eval().cpu().float()
    noise = torch.rand(3, *pictures.shape[1:], generator=torch.Generator().manual_seed(0))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in (pictures.float(), noise, pictures[:1].float()):
        with torch.no_grad():
            expected = model(batch).numpy()
        (got,) = session.run([OUTPUT], {INPUT: batch.numpy()})
        worst = max(worst, float(np.abs(got - expected).max()))
    if worst > PARITY_TOLERANCE:
        raise ExportError(f"{path} differs from PyTorch by {worst:.2e} (limit {PARITY_TOLERANCE})")
    return worst


def onnx_predict(path: Path, pictures: np.ndarray, batch_size: int = 500, threads: int = 1) -> np.ndarray:
    """Class logits [N, classes] of uint8 or 0..1 float pictures [N, C, H, W], from ONNX Runtime alone."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    scale = 255.0 if pictures.dtype == np.uint8 else 1.0
    out = [
        session.run([OUTPUT], {INPUT: (pictures[i : i + batch_size].astype(np.float32) / scale)})[0]
        for i in range(0, len(pictures), batch_size)
    ]
    return np.concatenate(out)
