"""Generates the preprocessing test data once: small PNG images and what
timm's evaluation transform makes of them (committed; needs torch, timm,
torchvision and Pillow, which CI does not have).

    python make_reference.py   # in a venv with timm
"""

import numpy as np
from PIL import Image
import timm.data

rng = np.random.default_rng(7)


def image(w, h):
    """Smooth colour ramps plus noise: edges and flat areas both."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255.0 / w, y * 255.0 / h, (x + y) * 127.0 / (w + h) + 64], axis=-1)
    noise = rng.normal(0, 40, size=(h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


# name, image size (w, h), transform arguments
CASES = [
    ("landscape", (75, 50), dict(input_size=(3, 32, 32), interpolation="bicubic", crop_pct=0.875)),
    ("portrait", (41, 67), dict(input_size=(3, 24, 24), interpolation="bilinear", crop_pct=0.9,
                                mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 0.75))),
    ("upscaled", (19, 23), dict(input_size=(3, 32, 32), interpolation="bicubic", crop_pct=0.875)),
]

for name, (w, h), args in CASES:
    img = image(w, h)
    img.save(f"{name}.png")
    t = timm.data.create_transform(**args)
    x = t(Image.open(f"{name}.png").convert("RGB")).numpy().astype(np.float32)
    np.save(f"{name}.npy", x)
    print(name, img.size, x.shape, t)

# The landscape image as lossless WebP (the same pixels) and as JPEG (whose
# decoders may differ by a level or two from Pillow's): the formats decode.
landscape = Image.open("landscape.png")
landscape.save("landscape.webp", lossless=True)
landscape.save("landscape.jpg", quality=95)
t = timm.data.create_transform(**CASES[0][2])
np.save("landscape_jpg.npy", t(Image.open("landscape.jpg").convert("RGB")).numpy().astype(np.float32))
