"""The StyleLens command line: serve the app, prepare models, build and import the catalog, rebuild the index.

One Typer app (`stylelens`, pyproject's script). Its command groups live in this package by noun: `service`
(serve, worker, models prepare, privacy run, explain-recommendations), `catalog` (the catalog and the index),
`apikeys` and `data`; the training and evaluation commands live beside their code and are registered here.
"""

from __future__ import annotations

from stylelens.cli import apikeys, catalog, data, service  # noqa: F401  (importing each registers its commands)
from stylelens.cli.base import app, data_app, eval_app, models_app, train_app
from stylelens.evaluation.recommend import recommend as eval_recommend
from stylelens.evaluation.vision_command import vision as eval_vision
from stylelens.training import classifier_command
from stylelens.training.embedder_command import embedder as train_embedder
from stylelens.training.segmenter_command import segmenter as train_segmenter
from stylelens.training.segmenter_command import synth as data_synth
from stylelens.training.silhouette_command import silhouette as train_silhouette

__all__ = ["app"]

eval_app.command("recommend")(eval_recommend)
eval_app.command("vision")(eval_vision)
eval_app.command("compare")(classifier_command.eval_compare)
train_app.command("classifier")(classifier_command.classifier)
train_app.command("embedder")(train_embedder)
train_app.command("segmenter")(train_segmenter)
train_app.command("silhouette")(train_silhouette)
models_app.command("list")(classifier_command.models_list)
models_app.command("activate")(classifier_command.models_activate)
models_app.command("rollback")(classifier_command.models_rollback)
data_app.command("synth")(data_synth)  # synthetic segmentation composites (training/segmenter_command.py)
