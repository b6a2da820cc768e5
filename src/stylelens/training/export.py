"""Preparing the models the service runs: backbones exported once to self-contained ONNX files.

Each backbone goes to `<models_dir>/<name>/model.onnx` with `model.json` beside it. The ONNX graph takes
`image`, float32 [N, 3, 224, 224] (RGB, scaled to 0..1, then (x - mean) / std; dynamic batch) and gives
`embedding` [N, 1280] (the pooled features, NOT L2-normalised: the embedder normalises) and `logits`
[N, 1000] (ImageNet-1k classes; no label names are shipped). Export is checked against PyTorch with ONNX
Runtime before `model.json` is written, so a `model.json` whose sha256 matches means a usable model.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from stylelens.training.backbones import BACKBONES, BackboneSpec, load_backbone, spec, weights_path

log = logging.getLogger(__name__)

OPSET: Final[int] = 18
PARITY_TOLERANCE: Final[float] = 1e-4
INPUT_NAME: Final[str] = "image"
OUTPUT_NAMES: Final[tuple[str, str]] = ("embedding", "logits")
_TORCH_NOISE: Final = (FutureWarning, DeprecationWarning, UserWarning)
_REGISTRY_LOGGER: Final = "torch.onnx._internal.exporter._registration"  # "torchvision is not installed"


class ExportError(RuntimeError):
    """An exported model does not behave like the PyTorch one it came from."""


def export_backbone(name: str, out_dir: Path) -> Path:
    """Export the named backbone to `out_dir/<name>/` (model.onnx + model.json) and return that folder."""
    backbone = spec(name)
    model_dir = out_dir / name
    model_dir.mkdir(parents=True, exist_ok=True)
    model = load_backbone(name)
    onnx_path = model_dir / "model.onnx"
    exporter = _export_onnx(model, backbone, onnx_path)
    max_diff = check_parity(model, onnx_path, backbone)
    manifest = _manifest(backbone, onnx_path, exporter, max_diff)
    _write_atomic(model_dir / "model.json", json.dumps(manifest, indent=2).encode())
    log.info("exported %s to %s (parity %.2e)", name, model_dir, max_diff)
    return model_dir


def prepare_models(models_dir: Path, extra: Sequence[str] = (), *, heads: bool = True) -> list[Path]:
    """Export the default backbones (and the `extra` ones named) that are missing or stale; return their folders.

    With `heads`, also fit the category and pattern heads and register the committed embedder head and segmenter.
    """
    prepared = []
    for name in [n for n, b in BACKBONES.items() if b.by_default] + [spec(n).name for n in extra]:
        model_dir = models_dir / name
        if not is_current(model_dir):
            export_backbone(name, models_dir)
        prepared.append(model_dir)
    if heads:
        _prepare_heads(models_dir)
    return prepared


def _prepare_heads(models_dir: Path) -> None:
    """Train the category and pattern heads of the serving backbone (numpy; skipped without the demo data)."""
    from contextlib import suppress

    from stylelens.errors import NotReady
    from stylelens.vision.head_training import heads_current, train_heads

    # Without Fashion-MNIST here the service runs without category and pattern heads.
    if not heads_current(models_dir, "mobilenet_v2"):
        with suppress(NotReady):
            train_heads(models_dir, "mobilenet_v2")
    from stylelens.training.embedder_default import prepare_embedder_head

    prepare_embedder_head(models_dir)  # the committed embedder head, registered, with heads of its own
    from stylelens.training.segmenter_default import prepare_segmenter

    prepare_segmenter(models_dir)  # the committed garment segmenter, registered and active (busy backgrounds)
    from stylelens.vision.silhouette import prepare_silhouette

    prepare_silhouette(models_dir)  # the committed silhouette classifier, joined with the category heads


def is_current(model_dir: Path) -> bool:
    """Whether the folder holds a model.json whose sha256 matches the model.onnx beside it."""
    try:
        manifest = json.loads((model_dir / "model.json").read_text())
        return bool(manifest.get("sha256") == sha256_file(model_dir / manifest.get("file", "model.onnx")))
    except (OSError, ValueError, AttributeError):
        return False


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_parity(model: nn.Module, onnx_path: Path, backbone: BackboneSpec, batch: int = 3) -> float:
    """Largest absolute difference of ONNX Runtime vs PyTorch outputs on a random batch; raises over 1e-4."""
    size = backbone.input_size
    images = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = [t.numpy() for t in model(images)]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(list(OUTPUT_NAMES), {INPUT_NAME: images.numpy()})
    single = session.run(list(OUTPUT_NAMES), {INPUT_NAME: images[:1].numpy()})
    diffs = [float(np.abs(g - e).max()) for g, e in zip(got, expected, strict=True)]
    diffs += [float(np.abs(s - e[:1]).max()) for s, e in zip(single, expected, strict=True)]
    if max(diffs) > PARITY_TOLERANCE or got[0].shape != (batch, backbone.embedding_dim):
        raise ExportError(f"{onnx_path} differs from PyTorch by {max(diffs):.2e} (limit {PARITY_TOLERANCE})")
    return max(diffs)


def _export_onnx(model: nn.Module, backbone: BackboneSpec, onnx_path: Path) -> str:
    """Write a self-contained ONNX file (no external data); returns which exporter succeeded."""
    example = torch.zeros(2, 3, backbone.input_size, backbone.input_size)
    try:
        write_onnx(model, example, onnx_path, INPUT_NAME, OUTPUT_NAMES, exporter="dynamo", max_batch=1024)
        return "torch.onnx dynamo"
    except Exception as exc:  # any dynamo failure: fall back to TorchScript
        log.warning("dynamo ONNX export failed (%s); falling back to the TorchScript exporter", exc)
        write_onnx(model, example, onnx_path, INPUT_NAME, OUTPUT_NAMES, exporter="torchscript")
        return "torch.onnx torchscript"


def write_onnx(
    model: nn.Module,
    example: torch.Tensor,
    path: Path,
    input_name: str,
    output_names: Sequence[str],
    *,
    exporter: Literal["dynamo", "torchscript"],
    max_batch: int = 4096,
) -> None:
    """Export `model` (batch dimension dynamic) to one self-contained, checked ONNX file written atomically.

    Every model StyleLens trains or prepares goes through here: the export happens in a scratch folder beside
    `path`, the result must pass `onnx.checker`, and only then replaces `path`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        tmp = Path(scratch) / "model.onnx"
        with warnings.catch_warnings(), _quiet(_REGISTRY_LOGGER):
            for category in _TORCH_NOISE:
                warnings.simplefilter("ignore", category)
            if exporter == "dynamo":
                program = torch.onnx.export(
                    model, (example,), dynamo=True, input_names=[input_name], output_names=list(output_names),
                    dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=max_batch)},), opset_version=OPSET,
                    external_data=False, verbose=False,
                )  # fmt: skip
                if program is None:
                    raise ExportError("the dynamo exporter returned no program")
                program.save(str(tmp), external_data=False)
            else:
                torch.onnx.export(
                    model, (example,), str(tmp), dynamo=False, input_names=[input_name],
                    output_names=list(output_names), opset_version=OPSET,
                    dynamic_axes={name: {0: "batch"} for name in (input_name, *output_names)},
                )  # fmt: skip
        proto = onnx.load(str(tmp))
        _drop_stack_traces(proto)
        onnx.checker.check_model(proto)
        _write_atomic(path, proto.SerializeToString())


STACK_TRACE_KEY: Final[str] = "pkg.torch.onnx.stack_trace"


def _drop_stack_traces(proto: onnx.ModelProto) -> None:
    """Remove the dynamo exporter's per-node Python stack traces: debugging notes that name the source files
    of the machine that exported (its absolute paths), not part of the model; the graph is unchanged."""
    graphs = [proto.graph, *(f for f in proto.functions)]
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            kept = [m for m in node.metadata_props if m.key != STACK_TRACE_KEY]
            if len(kept) != len(node.metadata_props):
                del node.metadata_props[:]
                node.metadata_props.extend(kept)
            graphs += [a.g for a in node.attribute if a.HasField("g")] + [g for a in node.attribute for g in a.graphs]


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence one logger's warnings for the duration (the exporter's notes about absent torchvision ops)."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _manifest(backbone: BackboneSpec, onnx_path: Path, exporter: str, max_diff: float) -> dict[str, Any]:
    """What the service needs to know about the model, and where it came from."""
    return {
        "name": backbone.name,
        "format": "onnx",
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "opset": OPSET,
        "input": {
            "name": INPUT_NAME,
            "shape": ["N", 3, backbone.input_size, backbone.input_size],
            "dtype": "float32",
            "layout": "NCHW",
            "color": "RGB",
        },
        "input_size": backbone.input_size,
        "mean": list(backbone.mean),
        "std": list(backbone.std),
        "embedding_dim": backbone.embedding_dim,
        "embedding_normalized": False,
        "num_classes": backbone.num_classes,
        "class_names": None,
        "outputs": list(OUTPUT_NAMES),
        "source": {
            "package": backbone.package,
            "version": importlib.metadata.version(backbone.package),
            "licence": backbone.licence,
            "origin": backbone.origin,
            "weights_sha256": sha256_file(weights_path(backbone)),
        },
        "exporter": {"tool": exporter, "torch": torch.__version__, "onnx": onnx.__version__},
        "parity_max_abs_diff": max_diff,
    }


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so readers see either the old or the whole new content."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
