"""Engines turn a `GenerationSpec` into frames and sound. They never see HTTP, SQL or blob keys."""
