"""The fake engine: deterministic frames and tone, progress, cancellation and failure modes.

The failures that take the process down ("exit", "hang", "memory") run in spawned processes.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelbox.engines.base import EngineError, GenerationCancelled, GenerationInputs, Keyframe
from reelbox.engines.fake import EXIT_CODE, FakeEngine, fake_frame
from reelbox.jobs.spec import GenerationSpec, Mode

MEMORY_ERROR_EXIT = 7


def _spec(
    prompt: str = "test", *, seed: int = 1, seconds: float = 2.0, **kw: Any
) -> GenerationSpec:
    return GenerationSpec(
        mode=kw.pop("mode", Mode.TEXT),
        prompt=prompt,
        width=kw.pop("width", 64),
        height=kw.pop("height", 48),
        seconds=seconds,
        seed=seed,
        profile="fake",
        fps=kw.pop("fps", 8),
        **kw,
    )


def _run(engine: FakeEngine, spec: GenerationSpec, **kw: Any) -> tuple[list[Any], Any]:
    result = engine.generate(
        spec,
        kw.pop("inputs", GenerationInputs()),
        on_progress=kw.pop("on_progress", lambda _: None),
        should_cancel=kw.pop("should_cancel", lambda: False),
    )
    return list(result.frames), result


def test_frames_are_deterministic_and_well_formed() -> None:
    frames, result = _run(FakeEngine({}), _spec())
    again, _ = _run(FakeEngine({}), _spec())
    other, _ = _run(FakeEngine({}), _spec(seed=2))
    assert result.frame_count == len(frames) == 16
    assert (result.width, result.height, result.fps) == (64, 48, 8)
    assert all(f.shape == (48, 64, 3) and f.dtype == np.uint8 for f in frames)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))
    assert not np.array_equal(frames[0], other[0])
    assert not np.array_equal(frames[0], frames[1])
    assert result.plan["engine"] == "fake"


def test_frame_index_is_readable_from_the_cells() -> None:
    frame = fake_frame(3, 37, width=64, height=48)
    cells = frame[-1, 2::4, 0][:16]  # centre column of each 4-pixel cell, bottom row
    index = sum(1 << bit for bit, value in enumerate(cells) if value == 255)
    assert index == 37


def test_tone_matches_the_clip() -> None:
    _, result = _run(FakeEngine({}), _spec(seconds=1.5))
    audio = result.audio
    assert audio.sample_rate == 48_000
    assert audio.samples.shape == (2, 72_000)
    assert audio.samples.dtype == np.float32
    assert audio.duration == pytest.approx(result.frame_count / result.fps)
    _, other = _run(FakeEngine({}), _spec(seed=2, seconds=1.5))
    assert not np.array_equal(audio.samples, other.audio.samples)


def test_audio_can_be_switched_off() -> None:
    assert _run(FakeEngine({"audio": False}), _spec())[1].audio is None
    assert _run(FakeEngine({}), _spec(audio=False))[1].audio is None


def test_reference_image_is_frame_zero() -> None:
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    frames, _ = _run(
        FakeEngine({}), _spec(mode=Mode.IMAGE), inputs=GenerationInputs(reference_image=image)
    )
    assert np.array_equal(frames[0], image)


def test_inpaint_keyframes_are_shown_at_their_indices() -> None:
    rng = np.random.default_rng(1)
    first, second = (rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2))
    keyframes = (Keyframe(frame_index=3, image=first), Keyframe(frame_index=9, image=second))
    frames, _ = _run(
        FakeEngine({}), _spec(mode=Mode.INPAINT), inputs=GenerationInputs(keyframes=keyframes)
    )
    assert len(frames) == 16
    assert np.array_equal(frames[3], first) and np.array_equal(frames[9], second)
    assert np.array_equal(frames[4], fake_frame(1, 4, width=64, height=48))


def test_progress_is_monotonic_and_reaches_one() -> None:
    seen: list[float] = []
    _run(FakeEngine({}), _spec(), on_progress=seen.append)
    assert len(seen) == 16
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_cancellation_stops_the_stream() -> None:
    calls = 0

    def should_cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 5

    result = FakeEngine({}).generate(
        _spec(), GenerationInputs(), on_progress=lambda _: None, should_cancel=should_cancel
    )
    frames = result.frames
    got = [next(frames) for _ in range(5)]
    assert len(got) == 5
    with pytest.raises(GenerationCancelled):
        next(frames)


def test_frame_delay_slows_each_frame() -> None:
    start = time.monotonic()
    _run(FakeEngine({"frame_delay": 0.02}), _spec(seconds=1.0))
    assert time.monotonic() - start >= 8 * 0.02


@pytest.mark.parametrize("configured", [True, False])
def test_raise_fails_at_the_chosen_fraction(configured: bool) -> None:
    if configured:
        engine, prompt = FakeEngine({"fail": "raise", "fail_at": 0.25}), "plain"
    else:
        engine, prompt = FakeEngine({"fail_at": 0.25}), "please [fail:raise] now"
    result = engine.generate(
        _spec(prompt), GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False
    )
    produced = []
    with pytest.raises(EngineError, match="fake engine failure"):
        for frame in result.frames:
            produced.append(frame)
    assert len(produced) == 4  # a quarter of 16 frames


def test_no_failure_without_a_trigger() -> None:
    frames, result = _run(FakeEngine({}), _spec("[fail:sometimes] is not a trigger"))
    assert len(frames) == 16
    assert result.plan["fail"] is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fsp": 8}, "unknown fake engine options: fsp"),
        ({"fps": 0}, "fps"),
        ({"fps": "8"}, "fps"),
        ({"audio": "yes"}, "audio"),
        ({"frame_delay": -1}, "frame_delay"),
        ({"fail": "explode"}, "fail must be one of"),
        ({"fail_at": 1.5}, "fail_at"),
        ({"frames_first": "yes"}, "frames_first must be true or false"),
    ],
)
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeEngine(options)


def test_frames_first_makes_workers_pipeline_its_output() -> None:
    from reelbox.executors.stages import pipelines_output

    assert not pipelines_output(FakeEngine({}))
    assert pipelines_output(FakeEngine({"frames_first": True}))


# -- failures that end or stall the process: run in spawned children -----------------------


def _consume(options: dict[str, Any], prompt: str, memory_limit: int | None) -> None:
    """Child process body: run one fake job to the end (or to its failure)."""
    if memory_limit is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    engine = FakeEngine(options)
    spec = _spec(prompt, seconds=1.0)
    try:
        result = engine.generate(
            spec, GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False
        )
        for _ in result.frames:
            pass
    except MemoryError:
        sys.exit(MEMORY_ERROR_EXIT)


@pytest.fixture
def importable_in_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned children unpickle `_consume` by importing this module under the name pytest
    gave it (for example `tests.engines.test_fake`); put the folder that name starts from on
    the path they inherit."""
    root = Path(__file__).resolve().parent
    for _ in range(_consume.__module__.count(".")):
        root = root.parent
    monkeypatch.syspath_prepend(str(root))


def _spawn(options: dict[str, Any], prompt: str = "x", memory_limit: int | None = None) -> Any:
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_consume, args=(options, prompt, memory_limit))
    process.start()
    return process


def _stop(process: Any) -> None:
    if process.is_alive():
        process.kill()
    process.join(10)


@pytest.mark.usefixtures("importable_in_children")
@pytest.mark.parametrize("via_prompt", [False, True])
def test_exit_ends_the_process_with_code_3(via_prompt: bool) -> None:
    process = _spawn({}, "crash [fail:exit]") if via_prompt else _spawn({"fail": "exit"})
    try:
        process.join(60)
        assert process.exitcode == EXIT_CODE
    finally:
        _stop(process)


@pytest.mark.usefixtures("importable_in_children")
def test_hang_never_finishes() -> None:
    process = _spawn({"fail": "hang", "fail_at": 0.0})
    try:
        process.join(3)
        assert process.is_alive()
    finally:
        _stop(process)


@pytest.mark.usefixtures("importable_in_children")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc")
def test_memory_runs_out_with_memory_error() -> None:
    with open("/proc/self/status") as status:
        vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    # The child starts much like this process; give it a few hundred MB of headroom only.
    limit = vm_kb * 1024 + 512 * 1024 * 1024
    process = _spawn({}, "leak [fail:memory]", memory_limit=limit)
    try:
        process.join(60)
        assert process.exitcode == MEMORY_ERROR_EXIT
    finally:
        _stop(process)
