"""An external moderation classifier: any OpenAI-compatible `POST {url}/moderations` endpoint.

OpenAI's omni-moderation, or a local guard model behind an OpenAI-compatible server. Texts go as
`input` (one string, or an array of strings); with `images` enabled, texts and images go as
multi-modal parts (`{"type": "text", ...}`, `{"type": "image_url", ...}` with data URLs).

A category is flagged when any result marks it true, or when a threshold is configured for it and
its score reaches the threshold; results are pooled, however many came back. Category names are
normalised to OpenAI's spelling (`self_harm_intent` -> `self-harm/intent`), which is Reelbox's.

A classifier that cannot answer (timeout, connection error, non-2xx, malformed or oversized body)
gives an `unavailable` verdict and never raises: whether that blocks is the caller's policy
(`ClassifierConfig.fail_closed`, applied by `ClassifierVerdict.blocking_categories`).

The async path is bounded by `timeout_seconds` exactly. The sync path bounds each socket operation
by it and checks the deadline between body chunks, so it can overrun by at most one operation.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from reelbox.moderation.categories import CLASSIFIER_FLAGGED, UNCHECKED

__all__ = [
    "FLAGGED_WITHOUT_CATEGORY",
    "MAX_RESPONSE_BYTES",
    "OPENAI_CATEGORIES",
    "ClassifierConfig",
    "ClassifierVerdict",
    "MalformedResponse",
    "ModerationClassifier",
    "normalise_category",
    "parse_response",
    "request_body",
]

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1024 * 1024

OPENAI_CATEGORIES = (
    "sexual",
    "sexual/minors",
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "violence",
    "violence/graphic",
    "illicit",
    "illicit/violent",
)
# Servers that serialise by field name rather than alias write `sexual_minors`, `self_harm`.
_BY_FLAT_NAME = {name.replace("/", "_").replace("-", "_"): name for name in OPENAI_CATEGORIES}

# A result that says `flagged: true` without naming a category still blocks, under this name.
FLAGGED_WITHOUT_CATEGORY = CLASSIFIER_FLAGGED


@dataclass(frozen=True, kw_only=True)
class ClassifierConfig:
    url: str  # base URL like "http://127.0.0.1:9000/v1"; requests go to url + "/moderations"
    model: str | None = None  # sent as "model" when set
    api_key: str | None = None  # Bearer token when set
    timeout_seconds: float = 2.0
    fail_closed: bool = False  # when the classifier cannot answer: False = allow, True = block
    images: bool = False  # whether the classifier accepts images (multi-modal input)
    thresholds: Mapping[str, float] = field(default_factory=dict)  # category -> minimum score

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"classifier url must start with http:// or https://: {self.url!r}")
        if not (math.isfinite(self.timeout_seconds) and self.timeout_seconds > 0):
            raise ValueError(f"classifier timeout must be positive: {self.timeout_seconds!r}")
        for name, threshold in self.thresholds.items():
            spelled = normalise_category(name)
            if spelled != name:
                raise ValueError(f"classifier threshold category {name!r} is spelled {spelled!r}")
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"classifier threshold for {name!r} must be in [0, 1]")


@dataclass(frozen=True)
class ClassifierVerdict:
    categories: frozenset[str]  # flagged categories (Reelbox/OpenAI names)
    unavailable: bool  # the classifier could not answer
    detail: str  # for logs only, e.g. "timeout after 2.0 s", "HTTP 503"

    def blocking_categories(self, *, fail_closed: bool) -> frozenset[str]:
        """The categories to act on: the flagged ones, or, when the classifier could not
        answer, `moderation/unavailable` if failing closed and nothing if failing open."""
        if self.unavailable:
            return frozenset({UNCHECKED}) if fail_closed else frozenset()
        return self.categories


def normalise_category(name: str) -> str:
    """OpenAI's spelling of a category name: `self_harm` -> `self-harm`, `Sexual_Minors` ->
    `sexual/minors`; other names keep their slashes and get hyphens for underscores."""
    name = name.strip().lower()
    flat = name.replace("/", "_").replace("-", "_")
    return _BY_FLAT_NAME.get(flat, name.replace("_", "-"))


def request_body(
    config: ClassifierConfig, *, texts: Sequence[str], images: Sequence[bytes]
) -> dict[str, object] | None:
    """The JSON body to send, or None when there is nothing to classify.

    Images are sent only when the classifier accepts them; texts alone go as a string or an array
    of strings, texts with images as multi-modal parts (texts first).
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a string")
    images = images if config.images else ()
    input: object
    if images:
        parts: list[dict[str, object]] = [{"type": "text", "text": text} for text in texts]
        parts += [{"type": "image_url", "image_url": {"url": _data_url(image)}} for image in images]
        input = parts
    elif len(texts) == 1:
        input = texts[0]
    elif texts:
        input = list(texts)
    else:
        return None
    body: dict[str, object] = {"input": input}
    if config.model is not None:
        body["model"] = config.model
    return body


def _data_url(image: bytes) -> str:
    if image.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    elif image.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    else:
        raise ValueError("classifier images must be JPEG or PNG bytes")
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


class MalformedResponse(ValueError):
    """The classifier answered 2xx with a body that is not a moderation response."""


def parse_response(content: bytes, *, thresholds: Mapping[str, float]) -> frozenset[str]:
    """The categories flagged by any result of a moderation response body; raises
    `MalformedResponse` for a body that is not one."""
    try:
        data = json.loads(content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedResponse("not JSON") from exc
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not results:
        raise MalformedResponse("no results")
    flagged: set[str] = set()
    for result in results:
        flagged |= _flagged_in(result, thresholds)
    return frozenset(flagged)


def _flagged_in(result: object, thresholds: Mapping[str, float]) -> set[str]:
    if not isinstance(result, dict):
        raise MalformedResponse("a result is not an object")
    overall = result.get("flagged")
    categories = _mapping(result, "categories", scores=False)
    scores = _mapping(result, "category_scores", scores=True)
    if overall is not None and not isinstance(overall, bool):
        raise MalformedResponse("flagged is not a boolean")
    if overall is None and not categories and not scores:
        raise MalformedResponse("a result has neither flagged nor categories")
    flagged = {normalise_category(name) for name, value in categories.items() if value}
    for name, score in scores.items():
        category = normalise_category(name)
        if category in thresholds and score >= thresholds[category]:
            flagged.add(category)
    # A classifier's "flagged" without a category must still block; its "not flagged" with a
    # true category is taken at the category's word.
    if overall and not flagged:
        flagged.add(FLAGGED_WITHOUT_CATEGORY)
    return flagged


def _mapping(result: dict[str, object], key: str, *, scores: bool) -> dict[str, float]:
    """`result[key]` as a name -> value mapping, nulls dropped (OpenAI sends `"illicit": null`).

    Category flags must be booleans and scores numbers that are not booleans.
    """
    value = result.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponse(f"{key} is not an object")
    out: dict[str, float] = {}
    for name, item in value.items():
        if item is None:
            continue
        if isinstance(item, bool) == scores or not isinstance(item, int | float):
            raise MalformedResponse(f"{key}[{name!r}] is {type(item).__name__}")
        out[name] = float(item)
    return out


class _ResponseTooLarge(Exception):
    pass


def _append_capped(body: bytearray, chunk: bytes) -> None:
    body += chunk
    if len(body) > MAX_RESPONSE_BYTES:
        raise _ResponseTooLarge


def _wants_body(response: httpx.Response) -> bool:
    """Whether to read the body: only a 2xx answer's, and only if it fits."""
    if not response.is_success:
        return False
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise _ResponseTooLarge
    return True


_FAILURES = (TimeoutError, httpx.HTTPError, OSError, _ResponseTooLarge)


class ModerationClassifier:
    """Asks one configured classifier; `transport` and `async_transport` are plug points for tests.

    Clients are created on first use, one of each kind per instance; the async one belongs to
    the event loop that first used it. Call `close` / `aclose` when done.
    """

    def __init__(
        self,
        config: ClassifierConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._endpoint = config.url.rstrip("/") + "/moderations"
        self._headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "accept-encoding": "identity",  # the size cap applies to what is read
        }
        if config.api_key:
            self._headers["authorization"] = f"Bearer {config.api_key}"
        self._timeout = httpx.Timeout(config.timeout_seconds)  # connect, read, write and pool
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._lock = threading.Lock()

    def classify(
        self, *, texts: Sequence[str] = (), images: Sequence[bytes] = ()
    ) -> ClassifierVerdict:
        """Classify from a worker thread or process; never raises for classifier failures."""
        body = request_body(self.config, texts=texts, images=images)
        if body is None:
            return _NOTHING_TO_CLASSIFY
        deadline = time.monotonic() + self.config.timeout_seconds
        try:
            status, content = self._post(_encode(body), deadline)
        except _FAILURES as exc:
            return self._unavailable(_failure_detail(exc, self.config.timeout_seconds))
        return self._verdict(status, content)

    async def aclassify(
        self, *, texts: Sequence[str] = (), images: Sequence[bytes] = ()
    ) -> ClassifierVerdict:
        """Classify on the event loop; never raises for classifier failures."""
        body = request_body(self.config, texts=texts, images=images)
        if body is None:
            return _NOTHING_TO_CLASSIFY
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                status, content = await self._apost(_encode(body))
        except _FAILURES as exc:
            return self._unavailable(_failure_detail(exc, self.config.timeout_seconds))
        return self._verdict(status, content)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        client, self._async_client = self._async_client, None
        if client is not None:
            await client.aclose()
        self.close()

    def _post(self, content: bytes, deadline: float) -> tuple[int, bytes]:
        body = bytearray()
        with self._get_client().stream(
            "POST", self._endpoint, content=content, headers=self._headers
        ) as response:
            if _wants_body(response):
                for chunk in response.iter_bytes():
                    _append_capped(body, chunk)
                    if time.monotonic() > deadline:  # bytes dripping within the read timeout
                        raise TimeoutError
            return response.status_code, bytes(body)

    async def _apost(self, content: bytes) -> tuple[int, bytes]:
        body = bytearray()
        async with self._get_async_client().stream(
            "POST", self._endpoint, content=content, headers=self._headers
        ) as response:
            if _wants_body(response):
                async for chunk in response.aiter_bytes():
                    _append_capped(body, chunk)
            return response.status_code, bytes(body)

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=self._transport,
                    timeout=self._timeout,
                    follow_redirects=False,
                    trust_env=False,  # the classifier is where the settings say, never a proxy
                )
            return self._client

    def _get_async_client(self) -> httpx.AsyncClient:
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                transport=self._async_transport,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return self._async_client

    def _verdict(self, status: int, content: bytes) -> ClassifierVerdict:
        if not 200 <= status < 300:
            note = " (redirects are not followed)" if 300 <= status < 400 else ""
            return self._unavailable(f"HTTP {status}{note}")
        try:
            categories = parse_response(content, thresholds=self.config.thresholds)
        except MalformedResponse as exc:
            return self._unavailable(f"malformed response: {exc}")
        detail = "flagged: " + ", ".join(sorted(categories)) if categories else "not flagged"
        return ClassifierVerdict(categories, unavailable=False, detail=detail)

    def _unavailable(self, detail: str) -> ClassifierVerdict:
        policy = "blocking" if self.config.fail_closed else "allowing"
        log.warning("moderation classifier %s unavailable (%s), %s", self._endpoint, detail, policy)
        return ClassifierVerdict(frozenset(), unavailable=True, detail=detail)


_NOTHING_TO_CLASSIFY = ClassifierVerdict(frozenset(), unavailable=False, detail="nothing to send")


def _encode(body: Mapping[str, object]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _failure_detail(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timeout after {timeout} s"
    if isinstance(exc, _ResponseTooLarge):
        return f"response over {MAX_RESPONSE_BYTES // 1024} KiB"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}" if str(exc) else "connection failed"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
