"""crop_box: perspective crops come out upright and the right size; reading_order: upstream's sorted_boxes order."""

import cv2
import numpy as np
import pytest

from ppocr.inference.crop import crop_box, reading_order

RED, GREEN, BLUE, WHITE = (0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255)


def quadrants(h: int, w: int) -> np.ndarray:
    """BGR pattern: top-left red, top-right green, bottom-left blue, bottom-right white."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[: h // 2, : w // 2] = RED
    img[: h // 2, w // 2:] = GREEN
    img[h // 2:, : w // 2] = BLUE
    img[h // 2:, w // 2:] = WHITE
    return img


def paste_rotated(pattern: np.ndarray, angle_deg: float, canvas_size: int = 300):
    """The pattern turned by ``angle_deg`` around the canvas centre, and its corners TL, TR, BR, BL."""
    h, w = pattern.shape[:2]
    canvas = np.full((canvas_size, canvas_size, 3), 128, dtype=np.uint8)
    y0, x0 = (canvas_size - h) // 2, (canvas_size - w) // 2
    canvas[y0:y0 + h, x0:x0 + w] = pattern
    centre = (canvas_size / 2, canvas_size / 2)
    m = cv2.getRotationMatrix2D(centre, angle_deg, 1.0)
    warped = cv2.warpAffine(canvas, m, (canvas_size, canvas_size), flags=cv2.INTER_NEAREST,
                            borderValue=(128, 128, 128))
    corners = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], dtype=np.float64)
    turned = np.hstack([corners, np.ones((4, 1))]) @ m.T
    return warped, turned.astype(np.float32)


def colour_at(img: np.ndarray, fy: float, fx: float) -> tuple[int, ...]:
    return tuple(int(v) for v in img[int(img.shape[0] * fy), int(img.shape[1] * fx)])


@pytest.mark.parametrize("angle", [0, 17, 30, -25])
def test_rotated_quad_gives_upright_crop_of_pattern_size(angle):
    pattern = quadrants(40, 120)
    img, corners = paste_rotated(pattern, angle)
    crop, applied = crop_box(img, corners)
    assert applied == 0
    # int() truncation (as upstream): a side of 119.9999 px gives 119
    assert abs(crop.shape[0] - 40) <= 1 and abs(crop.shape[1] - 120) <= 1
    assert colour_at(crop, 0.25, 0.25) == RED
    assert colour_at(crop, 0.25, 0.75) == GREEN
    assert colour_at(crop, 0.75, 0.25) == BLUE
    assert colour_at(crop, 0.75, 0.75) == WHITE
    resized = cv2.resize(crop, (120, 40), interpolation=cv2.INTER_NEAREST).astype(int)
    inner = np.abs(resized - pattern.astype(int))[4:-4, 4:-4]  # edges are interpolated
    assert np.mean(inner) < 8


def test_axis_aligned_crop_is_exact_copy():
    img = np.random.default_rng(0).integers(0, 255, (50, 80, 3), dtype=np.uint8)
    box = np.array([[10, 5], [40, 5], [40, 25], [10, 25]], dtype=np.float32)
    crop, angle = crop_box(img, box)
    assert angle == 0 and crop.shape == (20, 30, 3)
    np.testing.assert_array_equal(crop, img[5:25, 10:40])


def test_width_is_truncated_like_upstream():
    img = np.zeros((50, 80, 3), dtype=np.uint8)
    box = np.array([[0, 0], [30.9, 0], [30.9, 10.7], [0, 10.7]], dtype=np.float32)
    crop, _ = crop_box(img, box)
    assert crop.shape[:2] == (10, 30)


def test_tall_box_is_turned_90_degrees_counter_clockwise():
    pattern = quadrants(60, 20)  # 3x taller than wide
    img = np.full((100, 100, 3), 128, dtype=np.uint8)
    img[10:70, 30:50] = pattern
    box = np.array([[30, 10], [50, 10], [50, 70], [30, 70]], dtype=np.float32)
    crop, angle = crop_box(img, box)
    assert angle == 90 and crop.shape == (20, 60, 3)
    # counter-clockwise: the top-right (green) quadrant ends up top-left
    np.testing.assert_array_equal(crop, np.rot90(pattern))
    assert colour_at(crop, 0.25, 0.25) == GREEN and colour_at(crop, 0.75, 0.25) == RED


@pytest.mark.parametrize("h, w, turned", [(30, 20, True), (29, 20, False), (20, 20, False)])
def test_tall_ratio_threshold_is_inclusive(h, w, turned):
    img = np.zeros((64, 64, 3), dtype=np.uint8)
    box = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    crop, angle = crop_box(img, box)
    assert (angle == 90) is turned
    assert crop.shape[:2] == ((w, h) if turned else (h, w))


def test_tall_ratio_zero_never_turns():
    img = np.zeros((64, 64, 3), dtype=np.uint8)
    box = np.array([[0, 0], [10, 0], [10, 60], [0, 60]], dtype=np.float32)
    crop, angle = crop_box(img, box, tall_ratio=0)
    assert angle == 0 and crop.shape[:2] == (60, 10)


@pytest.mark.parametrize("box", [
    [[10, 10], [10, 10], [10, 30], [10, 30]],        # zero width
    [[10, 10], [40, 10], [40, 10], [10, 10]],        # zero height
    [[5, 5], [5, 5], [5, 5], [5, 5]],                # a point
    [[10, 10], [10.5, 10], [10.5, 30], [10, 30]],    # under one pixel wide
    [[10, 10], [np.nan, 10], [40, 30], [10, 30]],    # not finite
    [],                                              # no points at all
    [[3, 4], [20, 9]],                               # two points: no area
])
def test_degenerate_boxes_give_none(box):
    img = np.zeros((50, 50, 3), dtype=np.uint8)
    assert crop_box(img, np.array(box, dtype=np.float32)) == (None, 0)


def test_polygon_with_more_points_uses_its_min_area_rectangle():
    pattern = quadrants(40, 120)
    img = np.full((100, 200, 3), 128, dtype=np.uint8)
    img[30:70, 40:160] = pattern
    poly = np.array([[40, 30], [100, 30], [160, 30], [160, 70], [100, 70], [40, 70]], dtype=np.float32)
    crop, angle = crop_box(img, poly)
    assert angle == 0 and crop.shape == (40, 120, 3)
    assert colour_at(crop, 0.25, 0.25) == RED and colour_at(crop, 0.75, 0.75) == WHITE


def test_triangle_and_45_degree_polygon_do_not_collapse():
    img = np.full((120, 120, 3), 200, dtype=np.uint8)
    diamond = np.array([[60, 20], [100, 60], [60, 100], [20, 60], [40, 40]], dtype=np.float32)
    crop, _ = crop_box(img, diamond)
    side = int(np.hypot(40, 40))  # the square's side
    assert crop is not None and abs(crop.shape[0] - side) <= 1 and abs(crop.shape[1] - side) <= 1
    triangle = np.array([[10, 10], [70, 10], [40, 30]], dtype=np.float32)
    crop, angle = crop_box(img, triangle)
    assert angle == 0 and crop.shape[:2] == (20, 60)


def box(x: float, y: float, w: float = 30, h: float = 12) -> np.ndarray:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def test_reading_order_rows_then_left_to_right():
    boxes = [box(200, 62), box(10, 60), box(120, 14), box(5, 10), box(60, 66)]
    # row 1: tops 10 and 14 (within 10 px) -> x 5, 120; row 2: tops 60, 62, 66 -> x 10, 60, 200
    assert reading_order(boxes) == [3, 2, 1, 4, 0]


def test_reading_order_tolerance_is_exclusive():
    boxes = [box(100, 0), box(0, 10)]  # tops differ by exactly the tolerance: two lines
    assert reading_order(boxes) == [0, 1]
    assert reading_order(boxes, line_tolerance=10.5) == [1, 0]


def test_reading_order_of_nothing_and_of_polygons():
    assert reading_order([]) == []
    poly = np.array([[50, 5], [90, 5], [90, 20], [70, 25], [50, 20]], dtype=np.float32)
    assert reading_order([poly, box(0, 8)]) == [1, 0]


def test_reading_order_uses_the_first_point_as_upstream():
    """Upstream sorts by each quad's first point: a box whose top-left is 2 px lower but 124 px further
    left comes first, although another of its corners is higher (measured on a receipt photo)."""
    reg = np.array([[74, 302], [150, 299], [151, 333], [75, 336]], dtype=np.float32)
    date = np.array([[198, 300], [651, 285], [652, 315], [199, 330]], dtype=np.float32)
    assert reading_order([date, reg]) == [1, 0]
