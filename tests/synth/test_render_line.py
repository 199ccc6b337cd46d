"""One rendered line: size limits, legible contrast, fitting long text, determinism."""

import numpy as np

from ppocr.synth.fonts import list_fonts
from ppocr.synth.render_line import draw_text_mask, render_rec_line


def test_line_shape_and_determinism():
    fonts = list_fonts()
    for i in range(20):
        img, text = render_rec_line("Hello42", np.random.default_rng(i), fonts, height=32, max_width=320)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[0] == 32 and img.shape[2] == 3
        assert 20 <= img.shape[1] <= 320
        assert text == "Hello42"
        again, _ = render_rec_line("Hello42", np.random.default_rng(i), fonts, height=32, max_width=320)
        assert np.array_equal(img, again)


def test_long_text_is_shortened_to_fit():
    fonts = list_fonts()
    long = "verylongword " * 10
    for i in range(10):
        img, text = render_rec_line(long.strip(), np.random.default_rng(i), fonts, height=48, max_width=200)
        assert img.shape[0] == 48 and img.shape[1] <= 200
        assert 1 <= len(text) < len(long.strip())
        assert long.startswith(text) and text == text.strip()


def test_text_has_contrast_with_background():
    fonts = list_fonts()
    for i in range(20):
        img, _ = render_rec_line("MMMM", np.random.default_rng(i), fonts)
        gray = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        lo, hi = np.percentile(gray, [5, 95])
        assert hi - lo > 40, f"seed {i}: text barely visible"


def test_mask_ink_box_holds_all_ink():
    tm = draw_text_mask("gyQ|", list_fonts()[0], 30)
    ys, xs = np.nonzero(tm.mask)
    x0, y0, x1, y1 = tm.ink
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
    assert tm.top <= y0 and tm.bottom >= y1
