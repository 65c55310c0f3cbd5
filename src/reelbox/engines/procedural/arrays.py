"""Array types shared by the renderer, and a typed float32 conversion.

numpy's type stubs widen many float32 expressions to float64 or Any; `f32` states the dtype the
code relies on (and costs nothing when the array is already float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


def f32(values: Any) -> F32:
    """`values` as a float32 array (no copy when it already is one)."""
    return np.asarray(values, dtype=np.float32)
