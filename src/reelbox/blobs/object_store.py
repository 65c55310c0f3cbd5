"""Blobs in an object store (S3, GCS, Azure Blob, or a `file://` folder) through obstore.

`ObjectBlobStore` implements the `BlobStore` protocol for replicas and GPU nodes that share no
disk. Writers still stage into a local temporary folder; `put_file` then uploads the finished
file (multipart in 8 MiB parts once it is larger than one part, streamed from the file, never
read whole), and an object store makes an object visible only once its upload completed, which
keeps the protocol's promise that no reader sees half a blob.

Downloads do not go through local files: `head`, `open_range` and `signed_url` serve the API's
streaming Range path and its redirect to a short-lived signed URL (api/object_downloads.py).
`local_path` exists for decoders that need a file (a source video): it downloads the object
into a local cache once.

obstore is imported lazily; it comes with the `cluster` extra.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from reelbox.blobs.base import BlobInfo, BlobNotFound
from reelbox.disk import FolderProbe

PART_SIZE = 8 * 1024 * 1024
SIGNING_SCHEMES = ("s3", "s3a", "gs", "az", "azure", "abfs", "abfss", "adl")
SCHEMES = (*SIGNING_SCHEMES, "file", "memory")


@dataclass(frozen=True, kw_only=True)
class ObjectInfo:
    """What a download needs to know about an object before sending it."""

    key: str
    size: int
    modified: float  # Unix seconds
    etag: str  # quoted, as sent in the ETag header


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def check_url(url: str) -> str:
    """A blob URL the store understands, else ValueError naming the schemes."""
    if scheme_of(url) not in SCHEMES:
        raise ValueError(
            f"blob_url {url!r} must start with s3://, gs://, az://, file:// or memory://"
        )
    return url


def _split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings' `blob_options` → (store config, client options).

    `allow_http` and `timeout` belong to the HTTP client; everything else (endpoint, region,
    access_key_id, secret_access_key, service_account_path, account_key, …) to the store.
    Whatever is not given comes from the provider's standard environment (AWS_*, GOOGLE_*,
    AZURE_*), which obstore reads itself.
    """
    client_keys = {"allow_http", "timeout", "connect_timeout", "allow_invalid_certificates"}
    config = {k: v for k, v in options.items() if k not in client_keys}
    client = {k: v for k, v in options.items() if k in client_keys}
    return config, client


class ObjectBlobStore:
    """Stores each blob as the object `<prefix>/<key>` of the store at `url`."""

    def __init__(
        self,
        url: str,
        *,
        work_dir: Path,
        options: Mapping[str, Any] | None = None,
        min_free_bytes: int = 0,
    ) -> None:
        from obstore.store import from_url

        self.url = check_url(url)
        self.scheme = scheme_of(url)
        config, client = _split_options(options or {})
        if self.scheme == "file":
            Path(url.split("://", 1)[1]).mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if config and self.scheme not in ("file", "memory"):
            kwargs["config"] = config
        if client and self.scheme not in ("file", "memory"):
            kwargs["client_options"] = client
        self._store: Any = from_url(url, **kwargs)
        self._staging = work_dir / ".staging"
        self._cache = work_dir / ".cache"
        self._staging.mkdir(parents=True, exist_ok=True)
        self._cache.mkdir(parents=True, exist_ok=True)
        self._probe: FolderProbe | None = FolderProbe(
            self._staging, label="blob staging", min_free_bytes=min_free_bytes
        )

    @property
    def can_sign(self) -> bool:
        return self.scheme in SIGNING_SCHEMES

    @staticmethod
    def _check_key(key: str) -> str:
        parts = key.split("/")
        if any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"invalid blob key: {key!r}")
        return key

    # -- writing ----------------------------------------------------------------------------------

    def staging_path(self, suffix: str = "") -> Path:
        return self._staging / f"{uuid.uuid4().hex}{suffix}"

    def put_file(self, key: str, source: Path) -> BlobInfo:
        import obstore

        self._check_key(key)
        size = source.stat().st_size
        # A file larger than one part goes up in parts, read from the file as they are sent.
        obstore.put(
            self._store,
            key,
            source,
            use_multipart=size > PART_SIZE,
            chunk_size=PART_SIZE,
            max_concurrency=4,
        )
        if source.parent == self._staging:
            source.unlink(missing_ok=True)
        return BlobInfo(key=key, size=size, modified=time.time())

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        import obstore

        self._check_key(key)
        obstore.put(self._store, key, data, use_multipart=len(data) > PART_SIZE)
        return BlobInfo(key=key, size=len(data), modified=time.time())

    # -- reading ----------------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        import obstore

        try:
            return bytes(obstore.get(self._store, self._check_key(key)).bytes())
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

    def head(self, key: str) -> ObjectInfo:
        import obstore

        try:
            meta = obstore.head(self._store, self._check_key(key))
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        return _info(key, meta)

    async def head_async(self, key: str) -> ObjectInfo:
        import obstore

        try:
            meta = await obstore.head_async(self._store, self._check_key(key))
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        return _info(key, meta)

    def stat(self, key: str) -> BlobInfo:
        info = self.head(key)
        return BlobInfo(key=key, size=info.size, modified=info.modified)

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except BlobNotFound:
            return False
        return True

    async def open_range(
        self, key: str, *, start: int, end: int, chunk_size: int = 256 * 1024
    ) -> AsyncIterator[bytes]:
        """Bytes `start` to `end` (exclusive) of the object, streamed in chunks."""
        import obstore

        try:
            result = await obstore.get_async(
                self._store, self._check_key(key), options={"range": (start, end)}
            )
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        async for chunk in result.stream(min_chunk_size=chunk_size):
            yield bytes(chunk)

    async def signed_url(self, key: str, *, expires_in: float) -> str:
        """A URL that GETs the object without credentials until it expires."""
        import obstore

        if not self.can_sign:
            raise ValueError(f"{self.scheme}:// stores cannot sign URLs")
        return await obstore.sign_async(
            self._store, "GET", self._check_key(key), timedelta(seconds=expires_in)
        )

    def local_path(self, key: str) -> Path:
        """The object downloaded once into the local cache (for decoders that need a file)."""
        import obstore

        info = self.head(key)
        digest = hashlib.sha256(f"{key}\0{info.etag}".encode()).hexdigest()[:32]
        cached = self._cache / f"{digest}{Path(key).suffix}"
        if cached.is_file():
            return cached
        partial = self.staging_path(".part")
        try:
            result = obstore.get(self._store, key)
            with open(partial, "wb") as f:
                for chunk in result.stream(min_chunk_size=1024 * 1024):
                    f.write(chunk)
            os.replace(partial, cached)
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        finally:
            partial.unlink(missing_ok=True)
        return cached

    def check(self) -> None:
        """Fail fast (ValueError naming `blob_url`) when the bucket cannot be listed."""
        import obstore

        try:
            next(iter(obstore.list(self._store, prefix="videos/", chunk_size=1)), None)
        except Exception as exc:
            raise ValueError(f"blob_url {self.url!r} cannot be reached: {exc}") from None

    def keys(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object below `prefix/`, in pages."""
        import obstore

        for page in obstore.list(self._store, prefix=self._check_key(prefix) + "/"):
            for meta in page:
                yield _info(str(meta["path"]), meta)

    # -- deleting ---------------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        import obstore

        with contextlib.suppress(FileNotFoundError):
            obstore.delete(self._store, self._check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        import obstore

        found = [info.key for info in self.keys(prefix)]
        for start in range(0, len(found), 1000):  # S3 deletes at most 1,000 keys per request
            with contextlib.suppress(FileNotFoundError):
                obstore.delete(self._store, found[start : start + 1000])
        return len(found)

    def iter_blobs(self, prefix: str) -> Iterator[BlobInfo]:
        """Every object under `prefix/` (the scheduler's orphan sweep)."""
        for info in self.keys(prefix):
            yield BlobInfo(key=info.key, size=info.size, modified=info.modified)

    def storage_problem(self) -> str | None:
        """The bucket's own capacity is its provider's business; the local staging folder is
        checked like the local store's."""
        return self._probe.problem() if self._probe is not None else None

    def forget_probe(self) -> None:
        if self._probe is not None:
            self._probe.forget()

    def clean_staging(self, older_than: float = 3600) -> int:
        """Remove local temporary and cached files older than `older_than` seconds."""
        removed = 0
        cutoff = time.time() - older_than
        for folder in (self._staging, self._cache):
            for path in folder.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed


def _info(key: str, meta: Mapping[str, Any]) -> ObjectInfo:
    size = int(meta["size"])
    modified = meta["last_modified"].timestamp()
    etag = meta.get("e_tag") or f"{size:x}-{int(modified * 1000):x}"
    if not etag.startswith(('"', 'W/"')):
        etag = f'"{etag}"'
    return ObjectInfo(key=key, size=size, modified=modified, etag=etag)
