"""Fixtures: an S3 server on loopback (moto) and a fresh bucket per test or per module."""

from support.s3 import bucket, module_bucket, s3_endpoint

__all__ = ["bucket", "module_bucket", "s3_endpoint"]
