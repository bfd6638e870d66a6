# syntax=docker/dockerfile:1
# drift-gate's container image: for GitLab CI, Jenkins, a nightly scan on any scheduler, or
# anywhere without Python. The GitHub Action does not use it (see docs/container.md).
#
#   docker build -t drift-gate .
#   docker build --target lambda -t drift-gate-hook .   # the deployment hook's Lambda image
#   docker run --rm -v "$PWD:/work" -w /work --user "$(id -u):$(id -g)" -e AWS_REGION -e AWS_ACCESS_KEY_ID \
#     -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN drift-gate check --policy drift-gate.yaml

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# AWS's Lambda base image for Python 3.12, pinned by its tag (docs/deploy-hook.md#packaging).
ARG LAMBDA_IMAGE=public.ecr.aws/lambda/python:3.12

# --- Build: the wheel of this repository, and its pinned dependencies --------------------
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY drift_gate ./drift_gate
COPY action/requirements.txt ./requirements.txt
# pip's downloads stay in a BuildKit cache between builds; they never reach a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip wheel --wheel-dir /wheels -r requirements.txt \
 && python -m pip wheel --no-deps --wheel-dir /wheels .

# --- Terraform: a pinned release, its SHA256 checked before it is unpacked ---------------
FROM ${PYTHON_IMAGE} AS terraform
ARG TERRAFORM_VERSION=1.11.4
# From HashiCorp's terraform_1.11.4_SHA256SUMS.
ARG TERRAFORM_SHA256_AMD64=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc
ARG TERRAFORM_SHA256_ARM64=a43d1d0da9b9bab214a8305a39db0e40869572594ccf50c416a7756499143633
ARG TARGETARCH=amd64
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# DL3008 (pin apt versions): this stage only downloads; its curl and unzip never reach the
# image, and what does (the terraform binary) is checked against a pinned SHA256 below.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    case "${TARGETARCH}" in \
      amd64) sha256="${TERRAFORM_SHA256_AMD64}" ;; \
      arm64) sha256="${TERRAFORM_SHA256_ARM64}" ;; \
      *) echo "no pinned terraform checksum for ${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    curl -fsSLo /tmp/terraform.zip \
      "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_linux_${TARGETARCH}.zip"; \
    echo "${sha256}  /tmp/terraform.zip" | sha256sum -c -; \
    unzip -q /tmp/terraform.zip terraform -d /usr/local/bin; \
    rm /tmp/terraform.zip; \
    /usr/local/bin/terraform version

# --- Lambda: the deployment hook's container image (`docker build --target lambda`) ---------
# Before the runtime stage, so that a plain `docker build` still builds the CLI's image. The
# pins are installed by the Lambda image's own pip (its Python's platform wheels, not the
# build stage's; `pip`, as AWS's guide for this image runs it), then drift-gate's pure-Python
# wheel from the build stage. Its policy: an image built FROM this one adds
# `COPY drift-gate.yaml ${LAMBDA_TASK_ROOT}/`, or the function sets DRIFT_GATE_POLICY=s3://...
FROM ${LAMBDA_IMAGE} AS lambda
COPY action/requirements.txt /tmp/requirements.txt
# DL3013 (pin pip versions): the pins come from action/requirements.txt, and drift-gate is
# the one wheel the build stage made from this repository (--no-index).
# hadolint ignore=DL3013
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --only-binary=:all: --target "${LAMBDA_TASK_ROOT}" -r /tmp/requirements.txt \
 && pip install --no-deps --no-index --find-links /wheels --target "${LAMBDA_TASK_ROOT}" drift-gate \
 && rm -rf "${LAMBDA_TASK_ROOT:?}/bin" /tmp/requirements.txt
ENV PYTHONDONTWRITEBYTECODE=1
CMD ["drift_gate.aws_lambda.handler"]

# --- Runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="drift-gate" \
      org.opencontainers.image.description="Configuration-drift gate for AWS ECS services managed with Terraform" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/drift-gate/drift-gate" \
      org.opencontainers.image.documentation="https://github.com/drift-gate/drift-gate/blob/main/docs/container.md"

COPY --from=terraform /usr/local/bin/terraform /usr/local/bin/terraform
# The wheels are bind-mounted from the build stage for this one RUN: no layer ever holds them
# (a COPY followed by rm would keep them in the COPY's layer).
# DL3013 (pin pip versions): --no-index installs only the wheels built above, which are the
# exact versions of action/requirements.txt and this repository's own drift-gate.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links /wheels drift-gate \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin driftgate

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_IN_AUTOMATION=1
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["drift-gate"]
CMD ["--help"]
