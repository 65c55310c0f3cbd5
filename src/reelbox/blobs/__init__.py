"""Blob storage for media: a small protocol and its local-filesystem implementation."""

from reelbox.blobs.base import BlobInfo, BlobNotFound, BlobStore
from reelbox.blobs.local import LocalBlobStore

__all__ = ["BlobInfo", "BlobNotFound", "BlobStore", "LocalBlobStore"]
