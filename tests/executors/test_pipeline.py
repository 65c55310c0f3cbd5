"""From a spec to stored media, with the fake engine and a real blob store and encoder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reelbox.blobs import LocalBlobStore
from reelbox.engines.base import GenerationCancelled, GenerationInputs
from reelbox.engines.fake import FakeEngine
from reelbox.engines.procedural.engine import ProceduralEngine
from reelbox.executors.pipeline import produce
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.timings import JobTimings
from reelbox.media.stills import (
    SpriteSheet,
    spritesheet_indices,
    write_spritesheet,
    write_thumbnail,
)
from support.media import image_facts, probe_mp4


def _spec(**kw: object) -> GenerationSpec:
    values: dict[str, object] = dict(
        mode=Mode.TEXT,
        prompt="p",
        width=64,
        height=48,
        seconds=1.0,
        seed=3,
        profile="fake",
        fps=8,
    )
    values.update(kw)
    return GenerationSpec(**values)  # type: ignore[arg-type]


def _produce(blobs: LocalBlobStore, spec: GenerationSpec, **kw: object) -> list:  # type: ignore[type-arg]
    progress: list[float] = []
    outputs = produce(
        spec,
        engine=FakeEngine({"fps": spec.fps}),
        blobs=blobs,
        key_prefix=lambda i: f"videos/job/1/{i}",
        on_progress=progress.append,
        should_cancel=kw.get("should_cancel", lambda: False),  # type: ignore[arg-type]
    )
    assert progress == sorted(progress) and 0.99 <= progress[-1] <= 1.0
    return outputs


def test_every_variant_gets_its_own_media(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    outputs = _produce(blobs, _spec(variants=2))
    assert [o.index for o in outputs] == [0, 1] and [o.seed for o in outputs] == [3, 4]
    first, second = (blobs.get_bytes(o.video_key) for o in outputs)
    assert first != second
    for output in outputs:
        facts = probe_mp4(blobs.local_path(output.video_key))
        assert (facts.width, facts.height, facts.frames) == (64, 48, 8)
        assert facts.audio_codec == "aac"
        assert image_facts(blobs.get_bytes(output.thumbnail_key)) == ("WEBP", 64, 48)
        assert image_facts(blobs.get_bytes(output.thumbnail_jpeg_key)) == ("JPEG", 64, 48)
        fmt, w, h = image_facts(blobs.get_bytes(output.spritesheet_key))
        assert fmt == "JPEG"
        assert (w, h) == (
            output.sprite_columns * output.sprite_frame_width,
            output.sprite_rows * output.sprite_frame_height,
        )
    assert list((tmp_path / ".staging").iterdir()) == []


def test_extension_stitches_source_and_new_segment(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    (source,) = _produce(blobs, _spec(seconds=2.0))
    (extended,) = _produce(
        blobs, _spec(mode=Mode.EXTEND, seconds=1.0, source_video_key=source.video_key, seed=9)
    )
    facts = probe_mp4(blobs.local_path(extended.video_key))
    assert facts.frames == 24 and abs(facts.duration - 3.0) < 1e-6
    assert facts.audio_duration is not None and abs(facts.audio_duration - 3.0) < 0.03


def test_extension_retimes_a_source_at_another_frame_rate(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    (source,) = _produce(blobs, _spec(seconds=1.0, fps=16))
    (extended,) = _produce(
        blobs, _spec(mode=Mode.EXTEND, seconds=1.0, fps=8, source_video_key=source.video_key)
    )
    facts = probe_mp4(blobs.local_path(extended.video_key))
    assert facts.frames == 16 and abs(facts.duration - 2.0) < 1e-6


def test_cancellation_stores_nothing(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    calls = {"n": 0}

    def cancel_after_a_few() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(GenerationCancelled):
        produce(
            _spec(seconds=4.0),
            engine=FakeEngine({"fps": 8}),
            blobs=blobs,
            key_prefix=lambda i: f"videos/job/1/{i}",
            on_progress=lambda f: None,
            should_cancel=cancel_after_a_few,
        )
    assert not (tmp_path / "videos").exists()
    assert list((tmp_path / ".staging").iterdir()) == []


class _Stop(Exception):
    pass


class _Review:
    """Records what the pipeline shows it and stops at the checkpoint it is told to."""

    def __init__(self, stop_at: str | None = None, stop_variant: int = 0) -> None:
        self.stop_at = stop_at
        self.stop_variant = stop_variant
        self.seen: list[tuple[str, object]] = []

    def inputs(self, spec: GenerationSpec, inputs: object) -> None:
        self.seen.append(("inputs", inputs))
        if self.stop_at == "inputs":
            raise _Stop

    def output(self, spec: GenerationSpec, *, frames: list, plan: dict) -> None:  # type: ignore[type-arg]
        self.seen.append(("output", (len(frames), frames[0].shape, plan)))
        if self.stop_at == "output" and spec.seed - 3 == self.stop_variant:
            raise _Stop


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_review_sees_inputs_first_and_every_output_before_it_is_stored(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    review = _Review()
    produce(
        _spec(variants=2),
        engine=FakeEngine({"fps": 8}),
        blobs=blobs,
        key_prefix=lambda i: f"videos/job/1/{i}",
        on_progress=lambda f: None,
        should_cancel=lambda: False,
        review=review,
    )
    assert [kind for kind, _ in review.seen] == ["inputs", "output", "output"]
    count, shape, plan = review.seen[1][1]  # type: ignore[misc]
    assert count == 8 and shape == (48, 64, 3) and isinstance(plan, dict)


@pytest.mark.parametrize(("stop_at", "variant"), [("inputs", 0), ("output", 0), ("output", 1)])
def test_a_stopping_review_leaves_no_file_of_the_stopped_variant(
    tmp_path: Path, stop_at: str, variant: int
) -> None:
    blobs = LocalBlobStore(tmp_path)
    with pytest.raises(_Stop):
        produce(
            _spec(variants=2),
            engine=FakeEngine({"fps": 8}),
            blobs=blobs,
            key_prefix=lambda i: f"videos/job/1/{i}",
            on_progress=lambda f: None,
            should_cancel=lambda: False,
            review=_Review(stop_at, variant),
        )
    stored = [p.relative_to(tmp_path).as_posix() for p in _files(tmp_path)]
    assert not any("/staging" in p or p.startswith(".staging") for p in stored), stored
    # Variant 0 is stored when only variant 1 is stopped (the runner removes the attempt).
    assert all(p.startswith("videos/job/1/0/") for p in stored)
    assert bool(stored) == (stop_at == "output" and variant == 1)


def test_an_engine_that_reports_nothing_is_timed_as_render(tmp_path: Path) -> None:
    timings = JobTimings()
    produce(
        _spec(variants=2),
        engine=FakeEngine({"fps": 8, "frame_delay": 0.02}),
        blobs=LocalBlobStore(tmp_path),
        key_prefix=lambda i: f"videos/job/1/{i}",
        on_progress=lambda _: None,
        should_cancel=lambda: False,
        timings=timings,
    )
    assert set(timings.stages) == {"load", "render", "encode", "upload"}
    # Two variants of 8 frames, each frame 20 ms in the engine (which the encoder waited for,
    # and which is not counted as encoding).
    assert timings.stages["render"].seconds >= 2 * 8 * 0.02
    stages = timings.ordered()
    assert stages[0].name == "load" and stages[-1].name == "upload"
    assert timings.steps.count == 0


def test_the_embedded_engine_reports_its_stages_and_a_step_per_frame(tmp_path: Path) -> None:
    timings = JobTimings()
    spec = _spec(profile="p", seconds=1.0, fps=8, variants=2, prompt="a red kite over a lake")
    produce(
        spec,
        engine=ProceduralEngine({"fps": 8}),
        blobs=LocalBlobStore(tmp_path),
        key_prefix=lambda i: f"videos/job/1/{i}",
        on_progress=lambda _: None,
        should_cancel=lambda: False,
        timings=timings,
    )
    assert {"load", "plan", "sound", "render", "encode", "upload"} <= set(timings.stages)
    assert timings.steps.count == 2 * 8  # every painted frame of both variants
    assert timings.stages["render"].seconds == pytest.approx(timings.steps.total)
    for stage in timings.stages.values():
        assert stage.start <= stage.end and stage.seconds >= 0


class _OneBuffer:
    """The fake engine's frames, each painted into the same buffer (as a frugal engine may)."""

    def __init__(self, fps: int) -> None:
        self.engine = FakeEngine({"fps": fps})

    def capabilities(self) -> object:
        return self.engine.capabilities()

    def generate(self, spec: GenerationSpec, inputs: object, **kw: object) -> object:
        result = self.engine.generate(spec, inputs, **kw)  # type: ignore[arg-type]

        def reused() -> Iterator[np.ndarray]:
            buffer: np.ndarray | None = None
            for frame in result.frames:
                if buffer is None:
                    buffer = np.empty_like(frame)
                buffer[...] = frame
                yield buffer

        return replace(result, frames=reused())


@pytest.mark.parametrize("reuse", [False, True], ids=["fresh-frames", "one-buffer"])
def test_the_stills_show_the_frames_they_should(
    tmp_path: Path, reuse: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stills are made in a thread while the video encodes: they must be the very files
    # written from the right frames afterwards, even when the engine reuses its buffer. The
    # thread is slowed down so that the engine has moved on by the time it gets to a frame.
    add = SpriteSheet.add

    def slow_add(sheet: SpriteSheet, index: int, frame: np.ndarray) -> None:
        time.sleep(0.02)
        add(sheet, index, frame)

    monkeypatch.setattr(SpriteSheet, "add", slow_add)
    spec = _spec(seconds=3.0, width=96, height=64)
    blobs = LocalBlobStore(tmp_path / "blobs")
    engine = _OneBuffer(spec.fps) if reuse else FakeEngine({"fps": spec.fps})
    (output,) = produce(
        spec,
        engine=engine,  # type: ignore[arg-type]
        blobs=blobs,
        key_prefix=lambda i: f"videos/job/1/{i}",
        on_progress=lambda f: None,
        should_cancel=lambda: False,
    )
    result = FakeEngine({"fps": spec.fps}).generate(
        spec, GenerationInputs(), on_progress=lambda f: None, should_cancel=lambda: False
    )
    frames = [frame.copy() for frame in result.frames]
    assert len(frames) == 24 and not all(np.array_equal(frames[0], f) for f in frames)
    write_thumbnail(frames[12], tmp_path / "t.webp", format="webp")
    write_thumbnail(frames[12], tmp_path / "t.jpg", format="jpeg")
    write_spritesheet([frames[i] for i in spritesheet_indices(24, tiles=16)], tmp_path / "s.jpg")
    assert blobs.get_bytes(output.thumbnail_key) == (tmp_path / "t.webp").read_bytes()
    assert blobs.get_bytes(output.thumbnail_jpeg_key) == (tmp_path / "t.jpg").read_bytes()
    assert blobs.get_bytes(output.spritesheet_key) == (tmp_path / "s.jpg").read_bytes()
    assert list((tmp_path / "blobs" / ".staging").iterdir()) == []
