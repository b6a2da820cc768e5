"""The projection head the garment embedder learns, and the metric-learning losses it learns with.

The head reads the frozen backbone's L2-normalised vector and returns a new L2-normalised vector in which a
shopper's photo of a garment lies closer to that garment's catalog packshot than to any other product's.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional


class ProjectionHead(nn.Module):
    """Backbone vector -> L2-normalised search vector: a residual MLP, then a linear projection.

    The residual branch starts at zero, so before training the head is the linear map alone (initialised
    orthogonally: close to the frozen backbone's geometry), and learning only moves it from there.
    """

    def __init__(self, in_dim: int = 1280, out_dim: int = 512, hidden: int = 1024, dropout: float = 0.1) -> None:
        super().__init__()
        self.in_dim, self.out_dim, self.hidden = in_dim, out_dim, hidden
        self.residual: nn.Module = nn.Identity()  # hidden=0: the linear projection alone
        if hidden > 0:
            last = nn.Linear(hidden, in_dim)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
            self.residual = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout), last)
        self.project = nn.Linear(in_dim, out_dim)
        nn.init.orthogonal_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, features: Tensor) -> Tensor:
        x = features + self.residual(features) if self.hidden > 0 else features
        return functional.normalize(self.project(x), dim=-1, eps=1e-12)

    def config(self) -> dict[str, int]:
        return {"in_dim": self.in_dim, "out_dim": self.out_dim, "hidden": self.hidden}


def fisher_directions(features: Tensor, labels: Tensor, out_dim: int, shrink: float = 0.3) -> tuple[Tensor, Tensor]:
    """Linear discriminant analysis: the projection (weight [out_dim, in_dim], bias) that best separates products.

    The directions maximise between-product spread over within-product spread (a shopper photo vs its packshot:
    background, colour cast, occlusion), the within-product covariance shrunk toward its mean variance so rare
    directions do not explode. A closed-form starting point that the metric-learning loss then refines.
    """
    x = features.double()
    classes, inverse = torch.unique(labels, return_inverse=True)
    counts = torch.bincount(inverse, minlength=len(classes)).double()
    means = torch.zeros(len(classes), x.shape[1], dtype=x.dtype).index_add_(0, inverse, x) / counts[:, None]
    within = x - means[inverse]
    sw = within.T @ within / len(x)
    sw = sw + shrink * torch.trace(sw) / x.shape[1] * torch.eye(x.shape[1], dtype=x.dtype)
    centred = means - means.mean(0)
    sb = centred.T @ centred / len(classes)
    # Generalised eigenproblem sb v = l sw v, through the Cholesky factor of sw.
    factor = torch.linalg.cholesky(sw)
    inv = torch.linalg.inv(factor)
    values, vectors = torch.linalg.eigh(inv @ sb @ inv.T)
    directions = (inv.T @ vectors.flip(1)[:, :out_dim]).T  # (out_dim, in_dim), unit within-product variance
    return directions.float(), torch.zeros(out_dim)


class ProxyAnchorLoss(nn.Module):
    """Proxy-Anchor (Kim et al., CVPR 2020): one learned proxy per product pulls its photos and pushes others.

    Every proxy is an anchor: the loss is small when all of a product's photos are within `margin` of its
    proxy (cosine) and every other photo is farther than `margin` below; `alpha` sets how hard examples weigh.
    """

    def __init__(self, classes: int, dim: int, margin: float = 0.1, alpha: float = 32.0) -> None:
        super().__init__()
        self.proxies = nn.Parameter(torch.randn(classes, dim) * math.sqrt(2.0 / dim))
        self.margin, self.alpha = margin, alpha

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        cos = embeddings @ functional.normalize(self.proxies, dim=-1).T  # (batch, classes)
        positive = functional.one_hot(labels, self.proxies.shape[0]).bool()
        pos_exp = torch.where(positive, torch.exp(-self.alpha * (cos - self.margin)), torch.zeros_like(cos))
        neg_exp = torch.where(positive, torch.zeros_like(cos), torch.exp(self.alpha * (cos + self.margin)))
        with_positives = positive.any(dim=0)
        pos_term = torch.log1p(pos_exp.sum(dim=0))[with_positives].sum() / with_positives.sum().clamp(min=1)
        neg_term = torch.log1p(neg_exp.sum(dim=0)).sum() / self.proxies.shape[0]
        return pos_term + neg_term


class SupConLoss(nn.Module):
    """Supervised contrastive loss (Khosla et al., 2020): a photo's positives are the other photos of its product."""

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        logits = embeddings @ embeddings.T / self.temperature
        eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        logits = logits.masked_fill(eye, -1e9)
        positive = (labels[:, None] == labels[None, :]) & ~eye
        log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        counts = positive.sum(dim=1)
        has = counts > 0
        mean_pos = (log_prob * positive).sum(dim=1)[has] / counts[has]
        return -mean_pos.mean()


def make_loss(name: str, classes: int, dim: int) -> nn.Module:
    """The loss called `name` ("proxy_anchor" or "supcon")."""
    if name == "proxy_anchor":
        return ProxyAnchorLoss(classes, dim)
    if name == "supcon":
        return SupConLoss()
    raise ValueError(f"unknown loss {name!r}; known: proxy_anchor, supcon")
