"""Text match: the shopper's words against titles and descriptions, with the bundled MiniLM model.

The model is the ONNX export made by `stylelens models prepare` (training/export_text.py); here it runs in
ONNX Runtime with the `tokenizers` package, so serving never imports torch. Sentences are mean-pooled over
their tokens and L2-normalised, as sentence-transformers does for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from stylelens.errors import NotReady
from stylelens.recommend.catalog_view import Matrix

TEXT_MODEL = "minilm_l6_v2"


class TextEncoder:
    """Sentences in, 384-d unit vectors out; loads once, lazily, thread-safe."""

    def __init__(self, models_dir: Path, threads: int = 1, batch: int = 64) -> None:
        self.model_dir = models_dir / TEXT_MODEL
        self.threads = threads
        self.batch = batch
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    @property
    def available(self) -> bool:
        return (self.model_dir / "model.json").is_file()

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            if not self.available:
                raise NotReady(f"no text model under {self.model_dir}; run `stylelens models prepare`")
            import onnxruntime as ort
            from tokenizers import Tokenizer

            manifest = json.loads((self.model_dir / "model.json").read_text())
            tokenizer = Tokenizer.from_file(str(self.model_dir / manifest["tokenizer"]))
            tokenizer.enable_truncation(max_length=int(manifest.get("max_tokens", 128)))
            tokenizer.enable_padding()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(self.model_dir / manifest["file"]), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer

    def encode(self, texts: list[str]) -> Matrix:
        self.load()
        out = [self._encode_batch(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

    def _encode_batch(self, texts: list[str]) -> Matrix:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (tokens,) = self._session.run(["token_embeddings"], {"input_ids": ids, "attention_mask": mask})
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        unit: Matrix = (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)
        return unit
