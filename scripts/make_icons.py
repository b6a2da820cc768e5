"""Draw the app's icons (a camera lens over a coat hanger, on the brand navy) into src/stylelens/web/icons/.

Run again after changing the design: `.venv/bin/python scripts/make_icons.py`. The PNGs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "src" / "stylelens" / "web" / "icons"
NAVY, WHITE, GOLD = (31, 42, 68), (255, 255, 255), (255, 212, 0)
SCALE = 4  # draw large, then shrink: smooth edges without anti-aliasing support in ImageDraw


def draw(size: int, *, safe: float, rounded: bool) -> Image.Image:
    """The icon at `size` px; the drawing keeps inside the centre `safe` fraction (maskable icons need 0.8)."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=NAVY)
    else:
        pen.rectangle((0, 0, big, big), fill=NAVY)
    c, r = big / 2, big * safe / 2 * 0.78
    width = max(2, int(big * 0.045))
    pen.ellipse((c - r, c - r, c + r, c + r), outline=WHITE, width=width)
    # a coat hanger inside the lens
    hook_r = r * 0.16
    pen.arc((c - hook_r, c - r * 0.55, c + hook_r, c - r * 0.55 + 2 * hook_r), 180, 90, fill=GOLD, width=width)
    top = (c, c - r * 0.55 + 2 * hook_r)
    left, right = (c - r * 0.62, c + r * 0.38), (c + r * 0.62, c + r * 0.38)
    pen.line([top, left, right, top], fill=GOLD, width=width, joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made = {
        "icon-192.png": draw(192, safe=1.0, rounded=True),
        "icon-512.png": draw(512, safe=1.0, rounded=True),
        "maskable-512.png": draw(512, safe=0.8, rounded=False),
        "apple-touch-icon.png": draw(180, safe=0.9, rounded=False).convert("RGB"),
        "favicon-32.png": draw(32, safe=1.0, rounded=True),
    }
    for name, image in made.items():
        image.save(OUT / name, optimize=True)
        print(OUT / name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
