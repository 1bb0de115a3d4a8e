"""Images to model input as timm's evaluation transform makes them (resize
the shorter side to ``floor(size / crop_pct)`` with Pillow-exact bicubic or
bilinear resampling, centre crop, ImageNet normalisation), done natively.
"""

from __future__ import annotations

import os
from typing import Sequence, Tuple, Union

import numpy as np

from . import _native

IMAGENET_MEAN: Tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: Tuple[float, float, float] = (0.229, 0.224, 0.225)

PathLike = Union[str, "os.PathLike[str]"]


def preprocess(
    images: Union[PathLike, Sequence[PathLike]],
    size: int = 224,
    crop_pct: float = 0.875,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
    interpolation: str = "bicubic",
) -> np.ndarray:
    """Decodes JPEG/PNG/WebP files and returns a float32 batch of shape
    ``(len(images), 3, size, size)``, one image per path."""
    paths = [images] if isinstance(images, (str, os.PathLike)) else list(images)
    if not paths:
        raise _native.VitcError("no images given")
    raw = _native.preprocess_images(
        [os.fspath(p) for p in paths], size, float(crop_pct), tuple(map(float, mean)), tuple(map(float, std)),
        interpolation,
    )
    return np.frombuffer(raw, dtype="<f4").reshape(len(paths), 3, size, size).copy()


def imagenet_class_names() -> list:
    """The 1000 ImageNet-1k class names, in class-index order."""
    return _native.imagenet_class_names()
