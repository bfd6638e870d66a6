"""The images: does each ECR image the running containers name exist (DG209)? Each image is
looked up once for all services; images outside ECR cannot be, and say so."""

from __future__ import annotations

from collections.abc import Sequence

from drift_gate.checks.images import image_missing, image_unverified
from drift_gate.engine.service_run import LinkOutcome, ServiceRun, outcome_of
from drift_gate.images import EcrImage, parse_image
from drift_gate.model import Finding
from drift_gate.sources.images import ImageStatus, ImageStores


def check_images(runs: Sequence[ServiceRun], stores: ImageStores) -> list[LinkOutcome]:
    """Each ECR image the services' containers run, looked up once; each service's outcome."""
    named = [_images_of(run) for run in runs]
    statuses = stores.check(image for images in named for _, _, image in images if image)
    return [_image_outcome(run, images, statuses) for run, images in zip(runs, named, strict=True)]


def _images_of(run: ServiceRun) -> list[tuple[str, str, EcrImage | None]]:
    return [
        (container.name, container.image, parse_image(container.image))
        for container in (run.deployed.containers if run.deployed else ())
        if container.image
    ]


def _image_outcome(
    run: ServiceRun,
    images: list[tuple[str, str, EcrImage | None]],
    statuses: dict[EcrImage, ImageStatus],
) -> LinkOutcome:
    if not images:
        return LinkOutcome(not_checked="no container names an image")
    context = run.context()
    findings: list[Finding] = []
    elsewhere = []
    for container, reference, image in images:
        if image is None:
            elsewhere.append(reference)
            continue
        status = statuses[image]
        if status.status == "missing":
            findings.append(
                image_missing(context, container, reference, image.repository, status.detail)
            )
        elif status.status == "unverified":
            findings.append(
                image_unverified(context, container, reference, status.detail, status.fix)
            )
    outcome = outcome_of(findings)
    if elsewhere and not findings:
        # Images outside ECR cannot be looked up: the link is not shown as passed.
        return LinkOutcome(not_checked=f"images outside ECR: {', '.join(sorted(set(elsewhere)))}")
    return outcome
