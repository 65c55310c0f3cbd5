"""Open video models through diffusers pipelines (`pip install "reelbox[diffusers]"`).

Importing this package does not import torch or diffusers; the engine does when it loads
weights. `presets` holds the family truths, `options` a profile's settings, `engine` the engine.
"""

from reelbox.engines.diffusers.engine import DiffusersEngine

__all__ = ["DiffusersEngine"]
