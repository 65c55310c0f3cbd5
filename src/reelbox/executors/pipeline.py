"""From a spec to finished media files: engine frames → MP4, thumbnails, spritesheet.

Used by worker processes (through `runner`) and by `reelbox generate` in-process. Knows nothing
about the database: it reads inputs from, and writes outputs to, a `BlobStore`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reelbox.blobs import keys as keys_layout
from reelbox.blobs.base import BlobStore
from reelbox.engines.base import (
    AudioTrack,
    CancelCheck,
    CharacterInput,
    Engine,
    Frame,
    GenerationInputs,
    Keyframe,
    SourceVideo,
)
from reelbox.jobs.spec import RENDITION_LOW, GenerationSpec, Mode
from reelbox.jobs.timings import JobTimings
from reelbox.media import audio as audio_ops
from reelbox.media.decode import iter_frames, probe_video, read_audio
from reelbox.media.encode import write_mp4
from reelbox.media.images import decode_png, load_rgba
from reelbox.media.stills import (
    SpriteGeometry,
    SpriteSheet,
    spritesheet_indices,
    write_thumbnail,
)

SPRITE_TILES = 16

# Share of a variant's progress given to the engine's own steps; the rest follows encoding.
# Streaming engines advance both together; engines that compute before yielding frames
# (diffusion models) reach most of the bar while denoising.
ENGINE_SHARE = 0.85


class Review(Protocol):
    """Checks a job's inputs before the engine runs and each output before it is stored;
    either raises to stop the job (moderation: `executors.review.JobReview`)."""

    def inputs(self, spec: GenerationSpec, inputs: GenerationInputs) -> None: ...

    def output(
        self, spec: GenerationSpec, *, frames: Sequence[np.ndarray], plan: dict[str, Any]
    ) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Output:
    """One generation's files, already stored under their keys."""

    index: int
    seed: int
    video_key: str
    thumbnail_key: str
    thumbnail_jpeg_key: str
    spritesheet_key: str
    width: int
    height: int
    fps: int
    frame_count: int
    duration: float
    has_audio: bool
    sprite_columns: int
    sprite_rows: int
    sprite_frame_width: int
    sprite_frame_height: int
    plan: dict[str, Any]


def load_inputs(spec: GenerationSpec, blobs: BlobStore) -> GenerationInputs:
    """Resolve the spec's blob keys into decoded inputs for the engine."""
    reference = None
    if spec.input_image_key is not None:
        reference = decode_png(blobs.get_bytes(spec.input_image_key))
    source = None
    if spec.source_video_key is not None:
        path = blobs.local_path(spec.source_video_key)
        probe = probe_video(path)
        source = SourceVideo(
            path=path,
            width=probe.width,
            height=probe.height,
            fps=probe.fps,
            frame_count=probe.frame_count,
            duration=probe.duration,
            has_audio=probe.has_audio,
        )
    characters = tuple(
        CharacterInput(id=c.id, name=c.name, image=load_rgba(blobs.get_bytes(c.image_key)))
        for c in spec.characters
    )
    keyframes = tuple(
        Keyframe(frame_index=k.frame_index, image=decode_png(blobs.get_bytes(k.image_key)))
        for k in sorted(spec.keyframes, key=lambda k: k.frame_index)
    )
    return GenerationInputs(
        reference_image=reference,
        source_video=source,
        characters=characters,
        keyframes=keyframes,
    )


def produce(
    spec: GenerationSpec,
    *,
    engine: Engine,
    blobs: BlobStore,
    key_prefix: Callable[[int], str],
    on_progress: Callable[[float], None],
    should_cancel: CancelCheck,
    review: Review | None = None,
    timings: JobTimings | None = None,
) -> list[Output]:
    """Generate every variant of `spec` and store its media under `key_prefix(index)/`.

    Files are staged and moved into the store only once complete. On any exception the staged
    files are removed and nothing is stored for the unfinished variant. `timings`, if given,
    records where the time went (`jobs/timings.py`).
    """
    timings = timings if timings is not None else JobTimings()
    with timings.stage("load"):
        inputs = load_inputs(spec, blobs)
    if review is not None:
        review.inputs(spec, inputs)
    outputs: list[Output] = []
    for index in range(spec.variants):
        variant = replace(spec, seed=spec.seed + index)

        def report(fraction: float, *, _index: int = index) -> None:
            on_progress((_index + min(max(fraction, 0.0), 1.0)) / spec.variants)

        outputs.append(
            _produce_one(
                variant,
                inputs,
                index=index,
                engine=engine,
                blobs=blobs,
                prefix=key_prefix(index),
                report=report,
                should_cancel=should_cancel,
                review=review,
                timings=timings,
            )
        )
    return outputs


def _produce_one(
    spec: GenerationSpec,
    inputs: GenerationInputs,
    *,
    index: int,
    engine: Engine,
    blobs: BlobStore,
    prefix: str,
    report: Callable[[float], None],
    should_cancel: CancelCheck,
    review: Review | None,
    timings: JobTimings,
) -> Output:
    fractions = {"engine": 0.0, "encode": 0.0}

    def progress() -> None:
        report(ENGINE_SHARE * fractions["engine"] + (1 - ENGINE_SHARE) * fractions["encode"])

    def on_engine(fraction: float) -> None:
        fractions["engine"] = fraction
        progress()

    started = time.time()
    result = engine.generate(spec, inputs, on_progress=on_engine, should_cancel=should_cancel)
    waits = _Waits(result.frames, seconds=time.time() - started)
    frames: Iterator[Frame] = iter(waits)
    frame_count = result.frame_count
    audio: AudioTrack | None = result.audio if spec.audio else None
    if spec.mode is Mode.EXTEND and inputs.source_video is not None:
        frames, frame_count, audio = _stitch(inputs.source_video, spec, frames, frame_count, audio)

    sprite_at = spritesheet_indices(frame_count, tiles=SPRITE_TILES)
    staged: list[Path] = []
    encoding = time.time()
    stills: _Stills | None = None
    try:
        video_path = blobs.staging_path(".mp4")
        thumb_webp = blobs.staging_path(".webp")
        thumb_jpeg = blobs.staging_path(".jpg")
        sheet = blobs.staging_path(".jpg")
        staged += [video_path, thumb_webp, thumb_jpeg, sheet]
        stills = _Stills(
            frame_count=frame_count,
            width=result.width,
            height=result.height,
            thumbnails=(thumb_webp, thumb_jpeg),
        )

        def on_frame(i: int) -> None:
            fractions["encode"] = (i + 1) / frame_count
            progress()

        encoded = write_mp4(
            video_path,
            stills.tap(frames),
            width=result.width,
            height=result.height,
            fps=result.fps,
            frame_count=frame_count,
            audio=audio,
            # Review looks at the sprite sheet's frames whole; the stills need none kept.
            keep=sprite_at if review is not None else (),
            on_frame=on_frame,
        )
        geometry = stills.finish(sheet)
        low_path = None
        if RENDITION_LOW in spec.options.get("renditions", ()):
            low_path = blobs.staging_path(".mp4")
            staged.append(low_path)
            write_low_rendition(video_path, low_path, encoded.width, encoded.height, encoded.fps)
        if review is not None:
            # Before anything is stored: a blocked output leaves only staged files, removed below.
            review.output(spec, frames=[encoded.kept[i] for i in sprite_at], plan=result.plan)
        stored = time.time()
        # The encoder's own time: what it spent waiting on the engine's frames is the engine's.
        timings.add("encode", start=encoding, end=stored, seconds=stored - encoding - waits.taking)
        _engine_time(timings, result.timings, started=started, waits=waits)

        keys = {
            "video": f"{prefix}/video.mp4",
            "thumbnail": f"{prefix}/thumbnail.webp",
            "thumbnail_jpeg": f"{prefix}/thumbnail.jpg",
            "spritesheet": f"{prefix}/spritesheet.jpg",
        }
        if low_path is not None:
            blobs.put_file(keys_layout.low_rendition(keys["video"]), low_path)
        blobs.put_file(keys["video"], video_path)
        blobs.put_file(keys["thumbnail"], thumb_webp)
        blobs.put_file(keys["thumbnail_jpeg"], thumb_jpeg)
        blobs.put_file(keys["spritesheet"], sheet)
        timings.add("upload", start=stored, end=time.time())
    finally:
        if stills is not None:
            stills.close()  # before the staged files go: its thread may still be writing them
        for path in staged:
            path.unlink(missing_ok=True)

    return Output(
        index=index,
        seed=spec.seed,
        video_key=keys["video"],
        thumbnail_key=keys["thumbnail"],
        thumbnail_jpeg_key=keys["thumbnail_jpeg"],
        spritesheet_key=keys["spritesheet"],
        width=encoded.width,
        height=encoded.height,
        fps=encoded.fps,
        frame_count=encoded.frame_count,
        duration=encoded.duration,
        has_audio=encoded.has_audio,
        sprite_columns=geometry.columns,
        sprite_rows=geometry.rows,
        sprite_frame_width=geometry.frame_width,
        sprite_frame_height=geometry.frame_height,
        plan=result.plan,
    )


class _Stills:
    """The thumbnails and the sprite sheet, made in a background thread from the frames as
    they go to the encoder (Pillow scales and compresses without the GIL), so that encoding
    does not end with a serial tail of stills and no frame has to be kept whole for them."""

    def __init__(
        self, *, frame_count: int, width: int, height: int, thumbnails: tuple[Path, Path]
    ) -> None:
        indices = spritesheet_indices(frame_count, tiles=SPRITE_TILES)
        self._tiles = {index: tile for tile, index in enumerate(indices)}
        self._thumb_at = frame_count // 2
        self._thumbnails = thumbnails
        self._sheet = SpriteSheet(len(indices), width=width, height=height)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reelbox-stills")
        self._pending: list[Future[None]] = []

    def tap(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """`frames`, unchanged; the ones the stills show are handed to the thread on the way."""
        for index, frame in enumerate(frames):
            tile = self._tiles.get(index)
            wanted = tile is not None or index == self._thumb_at
            # Anything but an array is left for the encoder to refuse with its own error.
            if wanted and isinstance(frame, np.ndarray):
                # A copy: an engine may paint its next frame into the same buffer.
                self._pending.append(self._pool.submit(self._take, index, tile, frame.copy()))
            yield frame

    def _take(self, index: int, tile: int | None, frame: Frame) -> None:
        if index == self._thumb_at:
            webp, jpeg = self._thumbnails
            write_thumbnail(frame, webp, format="webp")
            write_thumbnail(frame, jpeg, format="jpeg")
        if tile is not None:
            self._sheet.add(tile, frame)

    def finish(self, sheet: Path) -> SpriteGeometry:
        """Wait for the thread's work (raising what it raised) and write the sheet."""
        for pending in self._pending:
            pending.result()
        return self._sheet.save(sheet)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Waits:
    """An engine's frames, timing how long each took to come (lazy engines work in `next`)."""

    def __init__(self, frames: Iterator[Frame], *, seconds: float) -> None:
        self._frames = frames
        self.seconds = seconds  # the engine's time so far: `generate`, then every `next`
        self.taking = 0.0  # of which spent while the encoder waited
        self.last = time.time()

    def __iter__(self) -> Iterator[Frame]:
        try:
            while True:
                asked = time.time()
                try:
                    frame = next(self._frames)
                except StopIteration:
                    return
                finally:
                    self.last = time.time()
                    self.taking += self.last - asked
                    self.seconds += self.last - asked
                yield frame
        finally:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()  # a consumer that stopped early stops the engine's frames too


def _engine_time(
    timings: JobTimings, reported: JobTimings | None, *, started: float, waits: _Waits
) -> None:
    """The engine's stages as it reported them, else all of its time as `render`."""
    if reported is not None and reported.stages:
        timings.merge(reported)
    else:
        timings.add("render", start=started, end=waits.last, seconds=waits.seconds)
        if reported is not None:
            timings.steps.merge(reported.steps)


def write_low_rendition(source: Path, target: Path, width: int, height: int, fps: int) -> None:
    """Half the size (even dimensions), same frames and sound, for `quality=low` downloads."""
    low_w, low_h = max(2, width // 4 * 2), max(2, height // 4 * 2)
    probe = probe_video(source)
    write_mp4(
        target,
        iter_frames(source, width=low_w, height=low_h),
        width=low_w,
        height=low_h,
        fps=fps,
        frame_count=probe.frame_count,
        audio=read_audio(source) if probe.has_audio else None,
        crf=28,
    )


def _stitch(
    source: SourceVideo,
    spec: GenerationSpec,
    new_frames: Iterator[Frame],
    new_count: int,
    new_audio: AudioTrack | None,
) -> tuple[Iterator[Frame], int, AudioTrack | None]:
    """An extension is the source followed by the new segment, as one video."""
    # The source is re-timed to the output frame rate by time, so an upload at another
    # frame rate keeps its duration.
    old_count = max(1, round(source.duration * spec.fps))
    old_frames = iter_frames(source.path, width=spec.width, height=spec.height)
    frames = itertools.chain(
        _retime(old_frames, source_fps=source.fps, fps=spec.fps, count=old_count), new_frames
    )
    total = old_count + new_count
    if new_audio is None and not source.has_audio:
        return frames, total, None
    old_seconds = old_count / spec.fps
    new_seconds = new_count / spec.fps
    old_audio = read_audio(source.path) if source.has_audio else None
    first = audio_ops.fit_duration(old_audio or audio_ops.silence(old_seconds), old_seconds)
    second = audio_ops.fit_duration(new_audio or audio_ops.silence(new_seconds), new_seconds)
    return frames, total, audio_ops.concat(first, second)


def _retime(frames: Iterator[Frame], *, source_fps: float, fps: int, count: int) -> Iterator[Frame]:
    """Exactly `count` frames at `fps`, each the source frame showing at that moment."""
    current: Frame | None = None
    shown = -1  # index of `current` in the source
    for i in range(count):
        wanted = int(i * source_fps / fps + 1e-6)
        while shown < wanted:
            nxt = next(frames, None)
            if nxt is None:
                break  # the source ran short: hold its last frame
            current, shown = nxt, shown + 1
        if current is None:
            raise ValueError("the source video has no frames")
        yield current
