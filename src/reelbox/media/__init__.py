"""Pixels and samples in and out of files.

`encode` writes frames and audio into the MP4s the service hands out, `decode` reads uploaded and
finished videos back, `images` validates uploaded reference images, `stills` renders thumbnails
and sprite sheets, and `audio` edits audio tracks held as numpy arrays.

This package knows nothing about jobs, HTTP or the database: it works on numpy arrays, bytes and
local paths only.
"""
