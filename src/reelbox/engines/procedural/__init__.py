"""The procedural engine: prompt → scene plan → painted frames and synthesized sound, on CPU.

It is a deterministic, prompt-directed renderer, not a learned model. How the package reads:

- the plan: `vocabulary`, `subject_words` and `kinds` (the words it knows), `reading` (what a
  prompt says), `planner` (defaults, camera, subject paths; remixes), `plan` (the typed plan
  and its JSON);
- the picture: `scenery` with `scenery_land`, `scenery_water`, `scenery_built` and `sky` (layers
  painted on `canvas` bands), `layers` (the compositor), `camera`, `motion` and `actors` with
  `figures/` (subjects), `particles` (weather), `grade` and `style` (light and look), `render`
  (a painted scene, frame by frame) and `footage` (pictures it did not paint);
- the sound: `synth`, `ambience`, `foley`, `music` and `sound` (the mix, with speech from
  `reelbox.media.speech`);
- `engine` (the `Engine` for every mode) and `prefetch` (painting ahead of the encoder).
"""

from reelbox.engines.procedural.engine import ProceduralEngine

__all__ = ["ProceduralEngine"]
