"""Do the ECR images the containers name exist? ecr:DescribeImages, metadata only.

One call per repository for up to 100 tags or digests (the API's limit). DescribeImages
refuses a whole call when one of the ids does not exist (ImageNotFoundException), so a
refused batch is asked again one id at a time to tell which; a repository that does not
exist makes every image in it missing. Never BatchGetImage or GetDownloadUrlForLayer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import botocore.exceptions

from drift_gate.images import EcrImage
from drift_gate.sources.answers import DescribeImagesAnswer, read_answer
from drift_gate.sources.aws import (
    AWS_FAILURES,
    AwsClients,
    PagingError,
    chunks,
    classify_failure,
    error_code,
)

IMAGES_PER_CALL = 100


@dataclass(frozen=True)
class ImageStatus:
    """What ECR said about one image: never anything but its existence."""

    status: Literal["ok", "missing", "unverified"]
    detail: str = ""
    fix: str | None = None


@dataclass
class ImageStores:
    """Looks images up in ECR, once each, per repository in batches."""

    clients: AwsClients
    workers: int = 8

    def __post_init__(self) -> None:
        self._answers: dict[EcrImage, ImageStatus] = {}

    def check(self, images: Iterable[EcrImage]) -> dict[EcrImage, ImageStatus]:
        wanted = list(dict.fromkeys(images))
        todo = [image for image in wanted if image not in self._answers]
        by_repository: dict[tuple[str, str, str], list[EcrImage]] = {}
        for image in todo:
            by_repository.setdefault((image.account, image.region, image.repository), []).append(
                image
            )
        batches = [
            batch for items in by_repository.values() for batch in chunks(items, IMAGES_PER_CALL)
        ]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for answer in pool.map(self._describe, batches):
                self._answers.update(answer)
        return {image: self._answers[image] for image in wanted}

    def _describe(self, batch: Sequence[EcrImage]) -> dict[EcrImage, ImageStatus]:
        first = batch[0]
        client = self.clients.client("ecr", first.region)
        try:
            found = _existing(client, batch)
        except botocore.exceptions.ClientError as error:
            code = error_code(error)
            if code == "RepositoryNotFoundException":
                detail = f"repository {first.repository} does not exist"
                return {image: ImageStatus("missing", detail) for image in batch}
            if code == "ImageNotFoundException" and len(batch) > 1:
                answers: dict[EcrImage, ImageStatus] = {}
                for image in batch:
                    answers.update(self._describe([image]))
                return answers
            if code == "ImageNotFoundException":
                return {first: ImageStatus("missing", f"has no image {first.wanted}")}
            return {image: _unverified(error) for image in batch}
        except AWS_FAILURES as error:
            return {image: _unverified(error) for image in batch}
        return {
            image: ImageStatus("ok")
            if _matches(image, found)
            else ImageStatus("missing", f"has no image {image.wanted}")
            for image in batch
        }


def _existing(client: Any, batch: Sequence[EcrImage]) -> list[tuple[str, tuple[str, ...]]]:
    first = batch[0]
    ids = [{"imageDigest": i.digest} if i.digest else {"imageTag": i.tag} for i in batch]
    response = client.describe_images(
        registryId=first.account, repositoryName=first.repository, imageIds=ids
    )
    answer = read_answer(DescribeImagesAnswer, response, "ecr:DescribeImages")
    if answer.nextToken:
        # A request naming its images is answered in one page; a token means the answer
        # is not what AWS documents, and a missing image must not be concluded from it.
        raise PagingError("ecr:DescribeImages", "answered a page token to a request by image id")
    return [(detail.imageDigest, detail.imageTags) for detail in answer.imageDetails]


def _matches(image: EcrImage, found: list[tuple[str, tuple[str, ...]]]) -> bool:
    if image.digest:
        return any(digest == image.digest for digest, _ in found)
    return any(image.tag in tags for _, tags in found)


def _unverified(error: Exception) -> ImageStatus:
    failure = classify_failure(error, "ecr:DescribeImages")
    return ImageStatus("unverified", failure.reason, failure.fix)
