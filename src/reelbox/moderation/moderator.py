"""The moderation pipeline: the built-in checks and the optional classifier behind one object.

```
request  (create time, on the API's event loop)   prompt text      -> terms, classifier
input    (in the worker, after decoding)           images, frames   -> faces, classifier
output   (in the worker, before anything is kept)  frames, plan     -> terms, classifier
```
Every check returns a `Verdict` already filtered through the project's policy; callers turn a
blocked verdict into their own answer (a 400, a failed job) and record it in the audit log.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from reelbox.moderation import categories as c
from reelbox.moderation.classifier import (
    ClassifierConfig,
    ClassifierVerdict,
    ModerationClassifier,
)
from reelbox.moderation.faces import FaceDetector
from reelbox.moderation.policy import Policy, build_policies
from reelbox.moderation.terms import TermMatcher
from reelbox.moderation.verdict import Checkpoint, Verdict, sha256_of
from reelbox.settings import ClassifierSettings, ModerationSettings

CLASSIFIER_IMAGE_SIDE = 512
LOOP_TEXT_LIMIT = 2000  # characters checked on the event loop; longer texts go to a thread


def classifier_config(settings: ClassifierSettings) -> ClassifierConfig:
    return ClassifierConfig(
        url=settings.url,
        model=settings.model,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        timeout_seconds=settings.timeout_seconds,
        fail_closed=settings.on_error == "block",
        images=settings.images,
        thresholds=dict(settings.thresholds),
    )


@dataclass
class _Findings:
    categories: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    rules: list[str] = field(default_factory=list)
    unchecked: bool = False
    fail_closed: bool = False

    def verdict(
        self, *, policy: Policy, checkpoint: Checkpoint, subject: str, digest: str
    ) -> Verdict:
        blocked = policy.blocked_among(self.categories)
        if self.unchecked and self.fail_closed:
            blocked = (*blocked, c.UNCHECKED)
        return Verdict(
            checkpoint=checkpoint,
            subject=subject,
            policy=policy.name,
            categories=blocked,
            sources=tuple(sorted(self.sources)) if blocked or self.unchecked else (),
            rules=tuple(dict.fromkeys(self.rules)) if blocked else (),
            unchecked=self.unchecked,
            input_sha256=digest,
        )


class Moderator:
    """Built once per process (the API's lifespan, each worker) and shared by every check."""

    def __init__(
        self,
        settings: ModerationSettings,
        *,
        terms: TermMatcher | None = None,
        faces: FaceDetector | None = None,
        classifier: ModerationClassifier | None = None,
    ) -> None:
        self.settings = settings
        self.policies = build_policies({n: p.block for n, p in settings.policies.items()})
        self.terms = terms if terms is not None else TermMatcher.load(settings.terms)
        self.faces = faces if faces is not None else FaceDetector()
        if classifier is None and settings.classifier is not None:
            classifier = ModerationClassifier(classifier_config(settings.classifier))
        self.classifier = classifier

    def policy(self, name: str) -> Policy:
        return self.policies[name]

    def policy_for(self, project: str) -> Policy:
        return self.policies[self.settings.policy_name(project)]

    def close(self) -> None:
        if self.classifier is not None:
            self.classifier.close()

    async def aclose(self) -> None:
        if self.classifier is not None:
            await self.classifier.aclose()

    # -- text -------------------------------------------------------------------------------

    def _terms(self, texts: Iterable[str], found: _Findings) -> None:
        for text in texts:
            for hit in self.terms.find(text):
                found.categories.add(hit.category)
                found.sources.add("terms")
                found.rules.append(hit.rule)

    def _classified(self, result: ClassifierVerdict, found: _Findings) -> None:
        if result.unavailable:
            found.unchecked = True
            found.fail_closed = self.classifier is not None and self.classifier.config.fail_closed
            found.sources.add("classifier")
            return
        if result.categories:
            found.categories |= result.categories
            found.sources.add("classifier")
            found.rules.extend(f"classifier:{name}" for name in sorted(result.categories))

    def check_texts(
        self,
        texts: Sequence[str],
        *,
        policy: Policy,
        checkpoint: Checkpoint,
        subject: str = "prompt",
    ) -> Verdict:
        found = _Findings()
        digest = sha256_of(*texts)
        if policy.enabled:
            self._terms(texts, found)
            if self.classifier is not None and not policy.blocked_among(found.categories):
                self._classified(self.classifier.classify(texts=texts), found)
        return found.verdict(policy=policy, checkpoint=checkpoint, subject=subject, digest=digest)

    async def acheck_texts(
        self,
        texts: Sequence[str],
        *,
        policy: Policy,
        checkpoint: Checkpoint = Checkpoint.REQUEST,
        subject: str = "prompt",
    ) -> Verdict:
        """Like `check_texts`, awaiting the classifier instead of blocking the event loop."""
        found = _Findings()
        digest = sha256_of(*texts)
        if policy.enabled:
            if sum(map(len, texts)) > LOOP_TEXT_LIMIT:
                # ~1.6 ms per 1,000 characters: a 32,000-character prompt would hold the event
                # loop for ~50 ms.
                await asyncio.to_thread(self._terms, texts, found)
            else:
                self._terms(texts, found)
            if self.classifier is not None and not policy.blocked_among(found.categories):
                self._classified(await self.classifier.aclassify(texts=texts), found)
        return found.verdict(policy=policy, checkpoint=checkpoint, subject=subject, digest=digest)

    # -- images -----------------------------------------------------------------------------

    def check_images(
        self,
        images: Sequence[np.ndarray],
        *,
        policy: Policy,
        checkpoint: Checkpoint,
        subject: str,
        texts: Sequence[str] = (),
    ) -> Verdict:
        """Images (and, for outputs, the texts that made them): faces in inputs, the classifier.

        Faces count only at the input checkpoint: a generated person is not a real person's
        photograph, and the policy's rule is about inputs.
        """
        found = _Findings()
        digest = sha256_of(*(np.ascontiguousarray(image).tobytes() for image in images), *texts)
        if not policy.enabled:
            return found.verdict(
                policy=policy, checkpoint=checkpoint, subject=subject, digest=digest
            )
        self._terms(texts, found)
        if checkpoint is Checkpoint.INPUT and policy.blocks(c.REAL_PERSON_FACE):
            for image in images:
                if self.faces.faces(image):
                    found.categories.add(c.REAL_PERSON_FACE)
                    found.sources.add("faces")
                    found.rules.append("faces:frontal")
                    break
        classifier = self.classifier
        if classifier is not None and not policy.blocked_among(found.categories):
            encoded = [_jpeg(image) for image in images] if classifier.config.images else []
            if encoded or texts:
                self._classified(classifier.classify(texts=texts, images=encoded), found)
        return found.verdict(policy=policy, checkpoint=checkpoint, subject=subject, digest=digest)


def evenly(items: Sequence[np.ndarray], count: int) -> list[np.ndarray]:
    """`count` items spread over the sequence, first and last included."""
    if len(items) <= count:
        return list(items)
    if count == 1:
        return [items[len(items) // 2]]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def _jpeg(image: np.ndarray) -> bytes:
    picture = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    picture.thumbnail((CLASSIFIER_IMAGE_SIDE, CLASSIFIER_IMAGE_SIDE))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
