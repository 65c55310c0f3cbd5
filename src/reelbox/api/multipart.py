"""A multipart/form-data body, already read and size-checked, split into its parts.

python-multipart does the splitting (as under Starlette's own form parser); this module keeps
every part in memory (the whole body is bounded by the upload cap before parsing starts), counts
fields and files against their caps as the parts appear, and is synchronous so that a large body
is parsed in a worker thread rather than on the event loop.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from reelbox.errors import InvalidRequest


@dataclass(frozen=True)
class Upload:
    """A file part, read into memory (bounded by the upload cap)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class _Part:
    disposition: bytes = b""
    content_type: bytes = b""
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


def malformed(detail: str) -> InvalidRequest:
    return InvalidRequest(f"Malformed multipart body: {detail}", code="invalid_body")


def _decode(raw: bytes, charset: str, *, what: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise malformed(f"the {what} is not valid {charset}.") from None


def parse_multipart(
    body: bytes, content_type: str, *, max_fields: int, max_files: int
) -> list[tuple[str, str | Upload]]:
    """The body's parts in order: text fields as str, file parts as `Upload`."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise malformed("Missing boundary in multipart.")
    charset_raw = params.get(b"charset", b"utf-8")
    try:
        charset = codecs.lookup(charset_raw.decode("latin-1")).name
    except LookupError:
        charset = "utf-8"
    items: list[tuple[str, str | Upload]] = []
    counts = {"fields": 0, "files": 0}
    part = _Part()
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part.data += data[start:end]

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        name = bytes(header_name).lower()
        if name == b"content-disposition":
            part.disposition = bytes(header_value)
        elif name == b"content-type":
            part.content_type = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, options = parse_options_header(part.disposition)
        if b"name" not in options:
            raise malformed('The Content-Disposition header field "name" must be provided.')
        part.name = _decode(options[b"name"], charset, what="field name")
        if b"filename" in options:
            counts["files"] += 1
            if counts["files"] > max_files:
                raise malformed(f"Too many files. Maximum number of files is {max_files}.")
            # File names only label parts (Azure's inpaint items name them): never refused.
            part.filename = options[b"filename"].decode(charset, errors="replace")
        else:
            counts["fields"] += 1
            if counts["fields"] > max_fields:
                raise malformed(f"Too many fields. Maximum number of fields is {max_fields}.")

    def on_part_end() -> None:
        if part.filename is None:
            items.append((part.name, _decode(bytes(part.data), charset, what="field value")))
        else:
            kind = part.content_type.decode("latin-1").strip() or "application/octet-stream"
            items.append((part.name, Upload(part.filename, kind, bytes(part.data))))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except InvalidRequest:
        raise
    except Exception as exc:  # python-multipart's own errors (MultipartParseError and others)
        raise malformed(str(exc) or type(exc).__name__) from None
    return items
