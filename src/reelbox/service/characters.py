"""Characters: named subjects cut out of an uploaded clip (SORA_API.md A4.9).

The clip is staged, probed, sampled and moderated; only a clip that passes is stored, with its
cutout and its row. If storing fails part-way, the files already written are removed: no
character's files outlive a failed create.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reelbox.blobs import keys
from reelbox.jobs.ids import new_character_id
from reelbox.jobs.models import Character
from reelbox.media.cutout import character_cutout
from reelbox.media.decode import VideoProbe, sample_frames
from reelbox.moderation.verdict import Verdict
from reelbox.service.videos import Dialect, VideoService


async def create_character(
    service: VideoService,
    *,
    project: str,
    name: str,
    clip: bytes,
    inspect: Callable[[Path], VideoProbe],
    dialect: Dialect,
) -> Character:
    """Check and store a character; `inspect` probes the clip (400 for one it refuses)."""
    gate = service.gate
    await gate.check_texts(
        [name], project=project, dialect=dialect, param="name", subject="character_name"
    )
    character_id = new_character_id()
    frames_wanted = service.settings.moderation.input_video_frames
    staged = await service.stage(clip)

    def examine() -> tuple[VideoProbe, Verdict]:
        probe = inspect(staged)
        frames = sample_frames(staged, frames_wanted)
        return probe, gate.check_frames(frames, project=project)

    def store(probe: VideoProbe) -> Character:
        clip_key = keys.character(character_id, f"clip.{probe.container}")
        image_key = keys.character(character_id, "cutout.png")
        try:
            cutout = character_cutout(staged, probe=probe)
            service.blobs.put_file(clip_key, staged)
            service.blobs.put_bytes(image_key, cutout)
            return service.store.create_character(
                id=character_id,
                project=project,
                name=name,
                clip_key=clip_key,
                image_key=image_key,
            )
        except BaseException:
            for key in (clip_key, image_key):
                service.blobs.delete(key)
            raise

    try:
        probe, verdict = await service.run(examine)
        # A blocked clip is never stored: the staged copy goes in `finally`.
        await gate.settle(verdict, project=project, dialect=dialect, param="video")
        return await service.run(store, probe)
    finally:
        staged.unlink(missing_ok=True)
