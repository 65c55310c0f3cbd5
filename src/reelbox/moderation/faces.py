"""Frontal human faces in pictures, found on the CPU with nothing to download.

The detector is the multi-block LBP frontal-face cascade that ships inside scikit-image (OpenCV's
`lbpcascade_frontalface`), run in two passes over a grey copy of the picture:

1. **Candidates.** The copy is scaled so that its shorter side is `24 / min_face_fraction` pixels
   (240 by default): the smallest face looked for is then exactly the cascade's 24-pixel window.
   A coarse scan (window sizes a factor 1.2 apart, positions 1.5 window pixels apart) keeps every
   place where the cascade fired at all.
2. **Support.** Around each candidate the cascade runs again, densely (every pixel, sizes a factor
   1.1 apart, from 1/1.3 to 1.3 times the candidate), on the picture and on its mirror image. The
   windows are grouped as OpenCV's `groupRectangles` groups them; a candidate is a face when its
   group holds at least `MIN_SUPPORT` windows. A face keeps firing at many neighbouring positions
   and sizes, and in the mirror too; a texture that fooled the cascade (a helmet's reflection, a
   model's wing, microscope cells) does so far less.
3. **Detail.** A face has eyes, brows and a mouth: a candidate whose box holds almost no fine
   detail (smooth blobs, such as upscaled noise, which the cascade can love) is dropped.

Why the second pass: with the cascade's own grouping, the weakest real face in the test photos
gathered 7 windows and the strongest false alarm 6. With the support count the weakest upright
real face gathers 25 and the strongest false alarm 19 (cut at 22), on the photographs and engine
frames that `tests/moderation/test_faces.py` uses. A 1280x720 picture takes about 50 ms on two
cores (the coarse scan is most of it).

4. **Edges.** A picture where no face was found is searched once more extended beyond its edges
   (its border pixels repeated outward), for faces too large for the frame or cut by it, such as
   a portrait photo cropped to a wide video (`edge_faces`).

Not found, by design or by the cascade's limits: faces smaller than `min_face_fraction` of the
shorter side, profile and three-quarter views, faces tilted more than about 8 degrees in the
picture's plane, and faces whose eyes the edge cuts off (a frontal cascade needs both eyes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

__all__ = ["Face", "FaceDetector"]

WINDOW = 24  # the cascade's window, in pixels of the working copy
COARSE_SCALE_FACTOR = 1.2
COARSE_STEP_RATIO = 1.5
DENSE_SCALE_FACTOR = 1.1
DENSE_STEP_RATIO = 1.0
DENSE_SIZE_RANGE = 1.3  # candidate size / 1.3 .. candidate size * 1.3
MIN_SUPPORT = 22  # windows (picture + mirror) behind a face; see the module docstring
MIN_DETAIL = 0.06  # fine detail in a face box, relative to its contrast; see `_detail`
GROUP_EPS = 0.2  # OpenCV's groupRectangles similarity
MAX_CANDIDATES = 32  # the most often found are checked; photographs have a dozen at most
EDGE_MARGIN = 0.3  # of the shorter side, added on every side to find faces cut by the edge
EDGE_FACE_FRACTION = 0.2  # of the extended picture's shorter side: cut faces looked for
MAX_ASPECT = 4.0  # a longer working side than this many shorter ones shrinks the copy instead

Gray = npt.NDArray[np.float32]
Box = tuple[int, int, int, int]  # x, y, width, height in the working copy


@dataclass(frozen=True)
class Face:
    """A face's box, in pixel coordinates of the picture that was searched."""

    x: int
    y: int
    width: int
    height: int


class FaceDetector:
    """Finds frontal faces that cover at least `min_face_fraction` of a picture's shorter side.

    Cheap to build: the cascade is loaded on the first search (thread-safe), and one detector
    may be shared by every thread of a process.
    """

    def __init__(self, *, min_face_fraction: float = 0.1) -> None:
        if not 0.02 <= min_face_fraction <= 0.5:
            raise ValueError(f"min_face_fraction must be in [0.02, 0.5], not {min_face_fraction}")
        self.min_face_fraction = min_face_fraction
        self._work_side = round(WINDOW / min_face_fraction)
        self._cascade: Any = None
        self._edges: FaceDetector | None = None
        self._lock = threading.Lock()

    def faces(self, image: npt.NDArray[np.uint8]) -> list[Face]:
        """Faces in an HxWx3 RGB, HxWx4 RGBA or HxW grey uint8 picture, largest first.

        A picture with none is searched again for faces cut by its edge (see `edge_faces`).
        """
        found = self.whole_faces(image)
        return found if found else self.edge_faces(image)

    def edge_faces(self, image: npt.NDArray[np.uint8]) -> list[Face]:
        """Faces that the picture's edge cuts, their boxes clipped to the picture.

        The cascade's windows must lie inside the picture, so a face larger than the frame or
        running off it (a portrait cropped to a wide video) is never seen whole. Here the
        picture is extended by `EDGE_MARGIN` of its shorter side on every side with its own
        edge pixels repeated outward, and searched again; a face counts when its box crosses
        the original edge and its centre lies inside the picture (at least half of it shows).
        """
        height, width = image.shape[:2]
        margin = round(EDGE_MARGIN * min(height, width))
        if margin < 1:
            return []
        picture = image[..., :3] if image.ndim == 3 else image
        spread = ((margin, margin), (margin, margin)) + (((0, 0),) if image.ndim == 3 else ())
        extended = np.pad(picture, spread, mode="edge")
        cut: list[Face] = []
        for face in self._edge_detector().whole_faces(extended):
            left, top = face.x - margin, face.y - margin
            right, bottom = left + face.width, top + face.height
            centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
            crosses = left < 0 or top < 0 or right > width or bottom > height
            if crosses and 0 <= centre_x < width and 0 <= centre_y < height:
                x, y = max(0, left), max(0, top)
                cut.append(
                    Face(x=x, y=y, width=min(width, right) - x, height=min(height, bottom) - y)
                )
        return cut

    def _edge_detector(self) -> FaceDetector:
        # Faces cut by the edge that matter are large: searching the extended picture for them
        # only keeps the second pass cheap (a smaller working copy).
        if self._edges is None:
            with self._lock:
                if self._edges is None:
                    edges = FaceDetector(min_face_fraction=EDGE_FACE_FRACTION)
                    edges._cascade = self._loaded()
                    self._edges = edges
        return self._edges

    def whole_faces(self, image: npt.NDArray[np.uint8]) -> list[Face]:
        """Faces that lie wholly inside the picture, largest first."""
        kept: list[Face] = []
        for support, face in self.scored(image):
            if (
                support >= MIN_SUPPORT
                and _detail(image, face) >= MIN_DETAIL
                and not any(_overlap(face, other) > 0.3 for other in kept)
            ):
                kept.append(face)
        return sorted(kept, key=lambda face: face.width * face.height, reverse=True)

    def scored(self, image: npt.NDArray[np.uint8]) -> list[tuple[int, Face]]:
        """Every candidate with its support, strongest first (for tuning and reports)."""
        gray, scale = self._working_copy(image)
        scored = [self._support(gray, candidate) for candidate in self._candidates(gray)]
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return [(s, _to_picture(box, scale, *image.shape[:2])) for s, box in scored]

    # -- the two passes --------------------------------------------------------------------

    def _candidates(self, gray: Gray) -> list[Box]:
        cascade = self._loaded()
        largest = min(gray.shape) - 1
        windows = cascade.detect_multi_scale(
            gray,
            COARSE_SCALE_FACTOR,
            COARSE_STEP_RATIO,
            (WINDOW, WINDOW),
            (largest, largest),
            1,  # keep every window: the support pass is the filter
            1.0,  # merge none (scores are at most 1): grouping happens here
        )
        groups = _group([(w["c"], w["r"], w["width"], w["height"]) for w in windows])
        groups.sort(key=lambda group: group[1], reverse=True)
        return [box for box, _ in groups[:MAX_CANDIDATES]]

    def _support(self, gray: Gray, candidate: Box) -> tuple[int, Box]:
        """How many dense windows, in the picture and its mirror, agree on this candidate."""
        x, y, width, height = candidate
        left, top = max(0, x - width // 2), max(0, y - height // 2)
        region = gray[top : y + height + height // 2, left : x + width + width // 2]
        smallest = max(WINDOW, int(width / DENSE_SIZE_RANGE))
        largest = min(int(width * DENSE_SIZE_RANGE), min(region.shape) - 1)
        if largest < smallest:
            return 0, candidate
        cascade = self._loaded()
        windows: list[Box] = []
        for mirrored in (False, True):
            view = np.ascontiguousarray(region[:, ::-1] if mirrored else region)
            for w in cascade.detect_multi_scale(
                view,
                DENSE_SCALE_FACTOR,
                DENSE_STEP_RATIO,
                (smallest, smallest),
                (largest, largest),
                1,
                1.0,
            ):
                column = region.shape[1] - w["c"] - w["width"] if mirrored else w["c"]
                windows.append((left + column, top + w["r"], w["width"], w["height"]))
        best: tuple[int, Box] = (0, candidate)
        for box, count in _group(windows):
            if count > best[0] and _iou(box, candidate) > 0.3:
                best = (count, box)
        return best

    # -- input and set-up ------------------------------------------------------------------

    def _working_copy(self, image: npt.NDArray[np.uint8]) -> tuple[Gray, float]:
        if image.dtype != np.uint8 or not (
            image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))
        ):
            raise ValueError(
                f"expected an HxWx3, HxWx4 or HxW uint8 picture, got {image.dtype} {image.shape}"
            )
        height, width = image.shape[:2]
        if min(height, width) < 1:
            raise ValueError(f"empty picture {image.shape}")
        if image.ndim == 3:
            picture = Image.fromarray(np.ascontiguousarray(image[..., :3])).convert("L")
        else:
            picture = Image.fromarray(np.ascontiguousarray(image))
        scale = min(
            self._work_side / min(height, width), MAX_ASPECT * self._work_side / max(height, width)
        )
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
        return np.asarray(picture, dtype=np.float32) / np.float32(255.0), scale

    def _loaded(self) -> Any:
        if self._cascade is None:
            with self._lock:
                if self._cascade is None:
                    self._cascade = _load_cascade()
        return self._cascade


def _load_cascade() -> Any:
    try:
        from skimage.data import lbp_frontal_face_cascade_filename
        from skimage.feature import Cascade
    except ImportError as exc:  # a base dependency; a broken install should say what is missing
        raise ImportError("face detection needs scikit-image (scikit-image>=0.24)") from exc
    return Cascade(lbp_frontal_face_cascade_filename())  # type: ignore[no-untyped-call]


def _group(windows: list[Box]) -> list[tuple[Box, int]]:
    """OpenCV's `groupRectangles` without its threshold: similar windows joined transitively,
    each group's mean box and size."""
    if not windows:
        return []
    boxes = np.asarray(windows, dtype=np.float64)
    xs, ys, widths, heights = boxes.T
    delta = (
        GROUP_EPS * 0.5 * (np.minimum.outer(widths, widths) + np.minimum.outer(heights, heights))
    )
    similar = (
        (np.abs(np.subtract.outer(xs, xs)) <= delta)
        & (np.abs(np.subtract.outer(ys, ys)) <= delta)
        & (np.abs(np.subtract.outer(xs + widths, xs + widths)) <= delta)
        & (np.abs(np.subtract.outer(ys + heights, ys + heights)) <= delta)
    )
    label = list(range(len(windows)))

    def root(i: int) -> int:
        while label[i] != i:
            label[i] = label[label[i]]
            i = label[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(similar, 1)), strict=True):
        label[root(int(i))] = root(int(j))
    roots = np.array([root(i) for i in range(len(windows))])
    groups = []
    for value in np.unique(roots):
        mean = boxes[roots == value].mean(axis=0)
        box = (round(mean[0]), round(mean[1]), round(mean[2]), round(mean[3]))
        groups.append((box, int(np.count_nonzero(roots == value))))
    return groups


def _iou(a: Box, b: Box) -> float:
    xa, ya, wa, ha = a
    xb, yb, wb, hb = b
    across = max(0, min(xa + wa, xb + wb) - max(xa, xb))
    down = max(0, min(ya + ha, yb + hb) - max(ya, yb))
    both = across * down
    return both / (wa * ha + wb * hb - both)


def _to_picture(box: Box, scale: float, height: int, width: int) -> Face:
    x, y, w, h = (round(v / scale) for v in box)
    x, y = max(0, x), max(0, y)
    return Face(x=x, y=y, width=min(width - x, w), height=min(height - y, h))


def _detail(image: npt.NDArray[np.uint8], face: Face) -> float:
    """Fine detail inside a face's box: the mean difference from a blurred copy at the cascade's
    24-pixel scale, over the box's contrast.

    Smooth blobs (upscaled noise such as an untrained model's output, soft gradients) can gather
    as much cascade support as a face, but have no eyes, brows or mouth edges: measured, they
    score at most 0.025 where real faces score 0.13 to 0.21 (one low-resolution lfw crop 0.04).
    """
    picture = Image.fromarray(np.ascontiguousarray(image[..., :3] if image.ndim == 3 else image))
    box = (face.x, face.y, face.x + face.width, face.y + face.height)
    crop = picture.convert("L").crop(box).resize((WINDOW, WINDOW), Image.Resampling.BILINEAR)
    sharp = np.asarray(crop, dtype=np.float32)
    soft = np.asarray(crop.filter(ImageFilter.GaussianBlur(1.0)), dtype=np.float32)
    return float(np.abs(sharp - soft).mean() / (sharp.std() + 1e-3))


def _overlap(a: Face, b: Face) -> float:
    return _iou((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height))
