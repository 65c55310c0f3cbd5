"""Fixtures: an S3 server on loopback (moto) and a fresh bucket per test."""

from support.s3 import bucket, s3_endpoint

__all__ = ["bucket", "s3_endpoint"]
