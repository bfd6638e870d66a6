"""DG209: does each ECR image the running containers name exist? Names only: ECR is asked
whether an image is there, never for anything it holds."""

from __future__ import annotations

from drift_gate.checks.findings import ServiceContext
from drift_gate.model import Finding


def image_missing(
    context: ServiceContext, container: str, reference: str, repository: str, detail: str
) -> Finding:
    """DG209: ECR says the image (or its repository) is not there; `detail` says which."""
    message = f"image {reference} of container {container}: ECR repository {repository} {detail}"
    return context.finding("DG209", message, container=container)


def image_unverified(
    context: ServiceContext, container: str, reference: str, detail: str, fix: str | None
) -> Finding:
    """DG901: ECR did not answer for the image."""
    message = f"could not verify image {reference} of container {container}: {detail}"
    return context.finding("DG901", message, container=container, remediation=fix)
