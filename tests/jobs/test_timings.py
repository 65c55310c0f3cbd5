"""A job's timing record: stages add up across variants, steps fall into their buckets."""

from __future__ import annotations

import time

import pytest

from reelbox.jobs.timings import STEP_BUCKETS, EngineTimings, JobTimings


def test_a_repeated_stage_adds_its_busy_time_and_spans_both() -> None:
    timings = JobTimings()
    timings.add("encode", start=10.0, end=12.0)
    timings.add("encode", start=20.0, end=21.5, seconds=1.0)
    [encode] = timings.stages.values()
    assert (encode.start, encode.end, encode.seconds) == (10.0, 21.5, 3.0)


def test_a_stage_block_is_timed_even_when_it_raises() -> None:
    timings = JobTimings()
    with pytest.raises(RuntimeError), timings.stage("load"):
        time.sleep(0.05)
        raise RuntimeError
    assert 0.04 <= timings.stages["load"].seconds < 1.0


def test_steps_are_bucketed_by_upper_bound_with_their_sums() -> None:
    engine = EngineTimings()
    for seconds in (0.001, 0.003, 0.003, 1000.0):
        engine.step(seconds)
    counts = engine.steps.counts
    assert counts[STEP_BUCKETS.index(0.001)] == 1  # a bound is inclusive
    assert counts[STEP_BUCKETS.index(0.005)] == 2
    assert counts[-1] == 1  # beyond the last bound: +Inf
    assert engine.steps.count == 4 and engine.steps.total == pytest.approx(1000.007)
    job = JobTimings()
    job.merge(engine)
    job.merge(engine)
    assert job.steps.count == 8 and job.steps.sums[-1] == 2000.0


def test_stages_are_ordered_by_start() -> None:
    timings = JobTimings()
    timings.add("upload", start=3.0, end=4.0)
    timings.add("queue", start=1.0, end=2.0)
    assert [s.name for s in timings.ordered()] == ["queue", "upload"]
