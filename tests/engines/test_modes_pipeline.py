"""Every mode of the procedural engine, end to end to a finished MP4 that decodes as asked."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelbox.blobs import LocalBlobStore
from reelbox.engines.procedural import ProceduralEngine
from reelbox.executors.pipeline import Output, produce
from reelbox.jobs.spec import CharacterRef, GenerationSpec, KeyframeRef, Mode
from support.media import probe_mp4

W, H, FPS = 160, 96, 12


def _spec(prompt: str, **kw: object) -> GenerationSpec:
    values: dict[str, object] = dict(
        mode=Mode.TEXT,
        prompt=prompt,
        width=W,
        height=H,
        seconds=1.0,
        seed=5,
        profile="reelbox-procedural",
        fps=FPS,
    )
    values.update(kw)
    return GenerationSpec(**values)  # type: ignore[arg-type]


def _produce(blobs: LocalBlobStore, spec: GenerationSpec) -> Output:
    (output,) = produce(
        spec,
        engine=ProceduralEngine({"fps": FPS}),
        blobs=blobs,
        key_prefix=lambda i: f"videos/{spec.mode.value}/{spec.seed}/{i}",
        on_progress=lambda _: None,
        should_cancel=lambda: False,
    )
    return output


def _check(blobs: LocalBlobStore, output: Output, *, seconds: float, audio: bool = True) -> None:
    facts = probe_mp4(blobs.local_path(output.video_key))
    assert (facts.video_codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height) == (W, H)
    assert facts.frames == round(seconds * FPS)
    assert abs(facts.duration - seconds) < 1e-6
    if audio:
        assert (facts.audio_codec, facts.sample_rate, facts.channels) == ("aac", 48_000, 2)
        assert facts.audio_duration is not None and abs(facts.audio_duration - seconds) < 0.05
    else:
        assert facts.audio_codec is None


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path)


@pytest.fixture
def source(blobs: LocalBlobStore) -> Output:
    return _produce(blobs, _spec("a dog walks in a park at noon, pan right", seconds=2.0))


def test_text(blobs: LocalBlobStore) -> None:
    output = _produce(blobs, _spec("a red car in a rainy city at night"))
    _check(blobs, output, seconds=1.0)
    assert output.plan["setting"] == "city"


def test_text_without_sound_has_no_audio_stream(blobs: LocalBlobStore) -> None:
    _check(blobs, _produce(blobs, _spec("a silent film of a cat")), seconds=1.0, audio=False)


def test_image(blobs: LocalBlobStore) -> None:
    reference = np.zeros((H, W, 3), dtype=np.uint8)
    reference[..., 0] = np.linspace(0, 255, W, dtype=np.uint8)[None, :]
    reference[..., 2] = np.linspace(255, 0, H, dtype=np.uint8)[:, None]
    blobs.put_bytes("uploads/ref.png", _png(reference))
    output = _produce(
        blobs, _spec("snow falls, zoom in", mode=Mode.IMAGE, input_image_key="uploads/ref.png")
    )
    _check(blobs, output, seconds=1.0)
    first = _frames(blobs.local_path(output.video_key))[0]
    assert np.abs(first.astype(int) - reference.astype(int)).mean() < 4  # frame 0 is the picture


def test_remix(blobs: LocalBlobStore, source: Output) -> None:
    remix = _spec(
        "at night in the snow",
        mode=Mode.REMIX,
        source_video_key=source.video_key,
        source_plan=source.plan,
        seconds=2.0,
        seed=9,
    )
    output = _produce(blobs, remix)
    _check(blobs, output, seconds=2.0)
    assert output.plan["subjects"] == source.plan["subjects"]
    assert (output.plan["time_of_day"], output.plan["weather"]) == ("night", "snow")


def test_edit(blobs: LocalBlobStore, source: Output) -> None:
    edit = _spec(
        "make it vintage film",
        mode=Mode.EDIT,
        source_video_key=source.video_key,
        source_plan=source.plan,
        seconds=2.0,
    )
    _check(blobs, _produce(blobs, edit), seconds=2.0)


def test_extend_is_the_stitched_whole(blobs: LocalBlobStore, source: Output) -> None:
    extend = _spec(
        "the dog keeps walking",
        mode=Mode.EXTEND,
        source_video_key=source.video_key,
        source_plan=source.plan,
        seconds=1.0,
    )
    output = _produce(blobs, extend)
    _check(blobs, output, seconds=3.0)
    pictures = _frames(blobs.local_path(output.video_key))
    seam = np.abs(pictures[24].astype(int) - pictures[23].astype(int)).mean()
    assert seam < 8  # no jump where the new segment starts


def test_characters(blobs: LocalBlobStore) -> None:
    cutout = np.zeros((40, 20, 4), dtype=np.uint8)
    cutout[..., :3] = (255, 0, 255)
    cutout[..., 3] = 255
    out = io.BytesIO()
    Image.fromarray(cutout, mode="RGBA").save(out, format="PNG")
    blobs.put_bytes("characters/char_1/cutout.png", out.getvalue())
    spec = _spec(
        "Mossy dances on a beach",
        characters=(
            CharacterRef(id="char_1", name="Mossy", image_key="characters/char_1/cutout.png"),
        ),
    )
    output = _produce(blobs, spec)
    _check(blobs, output, seconds=1.0)
    frame = _frames(blobs.local_path(output.video_key))[6].astype(int)
    magenta = (frame[..., 0] > 180) & (frame[..., 2] > 180) & (frame[..., 1] < 100)
    assert magenta.sum() > 30


def test_inpaint(blobs: LocalBlobStore, source: Output) -> None:
    dark = np.full((H, W, 3), 30, dtype=np.uint8)
    light = np.full((H, W, 3), 220, dtype=np.uint8)
    blobs.put_bytes("uploads/k0.png", _png(dark))
    blobs.put_bytes("uploads/k1.png", _png(light))
    spec = _spec(
        "a slow push in",
        mode=Mode.INPAINT,
        seconds=2.0,
        keyframes=(
            KeyframeRef(frame_index=2, image_key="uploads/k0.png"),
            KeyframeRef(frame_index=20, image_key="uploads/k1.png"),
        ),
    )
    output = _produce(blobs, spec)
    _check(blobs, output, seconds=2.0)
    pictures = _frames(blobs.local_path(output.video_key))
    assert abs(pictures[2].mean() - 30) < 3 and abs(pictures[20].mean() - 220) < 3
    with_video = _produce(
        blobs, replace(spec, keyframes=(), source_video_key=source.video_key, source_frame_index=6)
    )
    _check(blobs, with_video, seconds=2.0)


def _audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(chunks, axis=1)


def test_an_edit_of_the_picture_keeps_the_soundtrack_and_a_sound_edit_replaces_it(
    blobs: LocalBlobStore, source: Output
) -> None:
    original = _audio(blobs.local_path(source.video_key))
    for prompt, same in (("make it night", True), ("add church bells and jazz", False)):
        edit = _spec(
            prompt,
            mode=Mode.EDIT,
            source_video_key=source.video_key,
            source_plan=source.plan,
            seconds=2.0,
        )
        edited = _audio(blobs.local_path(_produce(blobs, edit).video_key))
        n = min(original.shape[1], edited.shape[1]) - 4800
        correlation = float(np.corrcoef(original[0, 2400:n], edited[0, 2400:n])[0, 1])
        assert (correlation > 0.9) is same
