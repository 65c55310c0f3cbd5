"""The procedural engine: prompt → scene plan → painted frames and synthesized sound, on CPU."""

from reelbox.engines.procedural.engine import ProceduralEngine

__all__ = ["ProceduralEngine"]
