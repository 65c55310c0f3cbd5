"""Pipelined output: the engine is free once its frames exist; storing runs beside the next job."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from reelbox.engines.base import GenerationResult
from reelbox.executors.stages import Handoff, Stages, pipelines_output


class Engine:
    """Frames computed on demand; records when each generate call runs."""

    computes_frames_first = True

    def __init__(self) -> None:
        self.calls: list[str] = []

    def capabilities(self) -> Any:
        raise NotImplementedError

    def generate(self, spec: Any, inputs: Any, **_: Any) -> GenerationResult:
        self.calls.append(spec)
        frames = (np.full((2, 2, 3), i, np.uint8) for i in range(3))
        return GenerationResult(width=2, height=2, fps=1, frame_count=3, frames=frames, audio=None)


def test_only_engines_that_compute_first_are_pipelined() -> None:
    assert pipelines_output(Engine())  # type: ignore[arg-type]
    assert not pipelines_output(object())  # type: ignore[arg-type]


def test_the_engine_is_free_after_the_last_variant_and_frames_arrive_in_order() -> None:
    handoff = Handoff(Engine(), calls=2)  # type: ignore[arg-type]
    first = handoff.generate("a", None, on_progress=lambda f: None, should_cancel=lambda: False)  # type: ignore[arg-type]
    assert not handoff.engine_done.is_set()
    second = handoff.generate("b", None, on_progress=lambda f: None, should_cancel=lambda: False)  # type: ignore[arg-type]
    assert handoff.engine_done.is_set()
    assert [int(f[0, 0, 0]) for f in first.frames] == [0, 1, 2]
    assert [int(f[0, 0, 0]) for f in second.frames] == [0, 1, 2]


def test_a_failing_engine_frees_the_worker_too() -> None:
    class Broken(Engine):
        def generate(self, spec: Any, inputs: Any, **_: Any) -> GenerationResult:
            raise RuntimeError("out of memory")

    handoff = Handoff(Broken(), calls=1)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        handoff.generate("a", None, on_progress=lambda f: None, should_cancel=lambda: False)  # type: ignore[arg-type]
    assert handoff.engine_done.is_set()


def test_the_next_job_denoises_while_the_last_one_stores_and_a_third_waits() -> None:
    engine = Engine()
    stages = Stages()
    log: list[str] = []
    release = {name: threading.Event() for name in "ABC"}

    def job(name: str) -> Any:
        def run(handoff: Any) -> None:
            result = handoff.generate(name, None, on_progress=None, should_cancel=None)
            log.append(f"{name} engine done")
            release[name].wait(10)  # "storing" until the test lets it finish
            list(result.frames)
            log.append(f"{name} stored")

        return run

    stages.run("A", calls=1, engine=engine, run=job("A"))  # type: ignore[arg-type]
    assert log == ["A engine done"]  # returned while A is still storing
    stages.run("B", calls=1, engine=engine, run=job("B"))  # type: ignore[arg-type]
    assert log == ["A engine done", "B engine done"]  # B denoised beside A's storing

    third = threading.Thread(
        target=stages.run, args=("C",), kwargs={"calls": 1, "engine": engine, "run": job("C")}
    )
    third.start()
    time.sleep(0.2)
    assert "C engine done" not in log  # at most one job storing: C waits for A
    release["A"].set()
    third.join(10)
    assert log[:4] == ["A engine done", "B engine done", "A stored", "C engine done"]
    release["B"].set()
    release["C"].set()
    stages.join()
    assert log[-2:] in (["B stored", "C stored"], ["C stored", "B stored"])


def test_a_job_that_fails_while_storing_leaves_the_next_untouched() -> None:
    engine = Engine()
    stages = Stages()
    stored: list[str] = []

    def failing(handoff: Any) -> None:
        handoff.generate("A", None, on_progress=None, should_cancel=None)
        raise OSError("disk full")

    def fine(handoff: Any) -> None:
        result = handoff.generate("B", None, on_progress=None, should_cancel=None)
        stored.append(str(len(list(result.frames))))

    stages.run("A", calls=1, engine=engine, run=failing)  # type: ignore[arg-type]
    stages.run("B", calls=1, engine=engine, run=fine)  # type: ignore[arg-type]
    stages.join()
    assert stored == ["3"]
