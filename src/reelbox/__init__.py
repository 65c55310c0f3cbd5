"""Reelbox: a self-hosted implementation of the Sora video-generation APIs."""

__version__ = "0.1.0"
