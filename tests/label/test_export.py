"""Export and split: one test per upstream PPOCRLabel export bug, and training reads the result."""

import json
import shutil
from itertools import product
from pathlib import Path

import cv2
import numpy as np
import pytest

from ppocr.commands.label import main as label_main
from ppocr.errors import DataError
from ppocr.inference.crop import crop_box
from ppocr.label.annotator import cut
from ppocr.label.export import export_project
from ppocr.label.records import Box
from ppocr.label.split import parse_ratios, part_sizes, split_export
from ppocr.label.storage import LabelStore
from tests.label.builders import SCENE, arrow_image, save_exif_jpeg

ROOT = Path(__file__).resolve().parents[2]
PATCH = arrow_image()  # 120x60, every turn and mirror of it differs
AT = (50, 40)
RECT = [[50, 40], [170, 40], [170, 100], [50, 100]]  # clockwise from top-left


def _canvas(patch=PATCH, at=AT, size=(200, 300)):
    img = np.full((*size, 3), 230, np.uint8)
    img[at[1]:at[1] + patch.shape[0], at[0]:at[0] + patch.shape[1]] = patch
    return img


def _orders(points):
    """The 8 ways to list a quad's corners: each start corner, clockwise and anticlockwise."""
    for start, step in product(range(4), (1, -1)):
        yield [points[(start + step * k) % 4] for k in range(4)]


def _close(a, b, tol=6.0):
    return a is not None and a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < tol


def _confirmed_project(tmp_path, images, name="photos"):
    """``images``: file name -> (image array or source path, boxes)."""
    folder = tmp_path / name
    folder.mkdir()
    for file, (img, _) in images.items():
        if isinstance(img, Path):
            shutil.copy(img, folder / file)
        else:
            cv2.imwrite(str(folder / file), img)
    store = LabelStore(str(folder))
    for file, (_, boxes) in images.items():
        store.save(file, boxes, confirmed=True)
    return store


def test_crops_do_not_depend_on_the_corner_order_paddleocr_6966_8443():
    img = _canvas()
    for order in _orders(RECT):
        assert _close(cut(img, order), PATCH), order
    # turned boxes: the patch rotated by 25 degrees either way, its corners listed any way round
    for angle in (25, -25):
        big = cv2.copyMakeBorder(img, 100, 100, 100, 100, cv2.BORDER_CONSTANT, value=(230, 230, 230))
        centre = (110 + 100, 70 + 100)
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(big, m, big.shape[1::-1], flags=cv2.INTER_CUBIC)
        corners = cv2.transform(np.array([[[x + 100, y + 100] for x, y in RECT]], np.float32), m)[0]
        crops = [cut(turned, np.round(o).astype(int).tolist()) for o in _orders(corners.tolist())]
        for crop in crops:
            assert crop.shape[:2] in ((60, 120), (59, 119), (60, 119), (59, 120))
            resized = cv2.resize(crop, (120, 60))
            assert np.abs(resized.astype(int) - PATCH.astype(int)).mean() < 25, angle


def test_tall_boxes_are_cut_as_the_ocr_system_feeds_its_recognizer():
    tall = np.ascontiguousarray(np.rot90(PATCH, -1))  # a vertical line: 60 wide, 120 high
    img = _canvas(tall)
    box = [[50, 40], [110, 40], [110, 160], [50, 160]]
    crops = [cut(img, order) for order in _orders(box)]
    system_crop, angle = crop_box(img, np.array(box, np.float32), 1.5)  # what TextSystem gives rec
    assert angle == 90
    for crop in crops:
        np.testing.assert_array_equal(crop, system_crop)
    assert _close(system_crop, PATCH)  # read along its long side, like a horizontal line
    # tall_ratio 0 keeps it as drawn (a single upright arrow stays an upright arrow: PaddleOCR 6966)
    assert _close(cut(img, box, tall_ratio=0), tall)


def test_exif_rotated_photos_are_cut_upright_paddleocr_8538(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    upright = _canvas()  # what the viewer (and training's DecodeImage) shows
    save_exif_jpeg(folder / "phone.jpg", np.ascontiguousarray(np.rot90(upright)), 6)  # stored turned
    store = LabelStore(str(folder))
    store.save("phone.jpg", [Box(RECT, "arrow")], confirmed=True)
    report = export_project(store, str(tmp_path / "out"))
    assert report.crops == 1
    crop = cv2.imread(str(tmp_path / "out" / "rec" / "crop_img" / "phone_crop_0.jpg"))
    assert _close(crop, PATCH, tol=8)
    store.close()


def test_boxes_drawn_by_hand_are_exported_paddleocr_11029(tmp_path):
    img = _canvas()
    hand = Box(RECT, "hand", difficult=True)  # what PPOCRLabel wrote for boxes drawn by hand
    model = Box([[10, 150], [90, 150], [90, 180], [10, 180]], "model", score=0.9)
    poly = Box([[50, 40], [110, 38], [170, 40], [170, 100], [110, 102], [50, 100]], "polygon")  # drawn by hand
    store = _confirmed_project(tmp_path, {"a.png": (img, [hand, model, Box(RECT, "###"), Box(RECT, ""), poly])})
    out = tmp_path / "out"
    report = export_project(store, str(out))
    rec = (out / "rec" / "rec_gt.txt").read_text(encoding="utf-8").splitlines()
    assert rec == ["crop_img/a_crop_0.jpg\thand", "crop_img/a_crop_1.jpg\tmodel", "crop_img/a_crop_4.jpg\tpolygon"]
    poly_crop = cv2.imread(str(out / "rec" / "crop_img" / "a_crop_4.jpg"))
    assert abs(poly_crop.shape[1] - 120) <= 2 and abs(poly_crop.shape[0] - 64) <= 3
    det = (out / "det" / "det_gt.txt").read_text(encoding="utf-8")
    path, labels = det.rstrip("\n").split("\t")
    assert path == "images/a.png"
    assert [x["transcription"] for x in json.loads(labels)] == ["hand", "model", "###", "", "polygon"]
    assert list(json.loads(labels)[0]) == ["transcription", "points"]
    assert report.left_out == {"rec: ### boxes": 1, "rec: empty text": 1}
    assert (out / "det" / "images" / "a.png").read_bytes() == (Path(store.folder) / "a.png").read_bytes()
    store.close()


def test_only_confirmed_images_unless_asked_and_never_over_other_folders(tmp_path):
    store = _confirmed_project(tmp_path, {"a.png": (_canvas(), [Box(RECT, "a")])})
    cv2.imwrite(str(Path(store.folder) / "b.png"), _canvas())
    store.close()
    store = LabelStore(store.folder)
    store.save("b.png", [Box(RECT, "b")])
    assert export_project(store, str(tmp_path / "out")).images == 1
    assert export_project(store, str(tmp_path / "out"), include_unconfirmed=True).images == 2
    (tmp_path / "mine").mkdir()
    with pytest.raises(DataError, match="exists and is not a ppocr label export"):
        export_project(store, str(tmp_path / "mine"))
    with pytest.raises(DataError, match="would contain the image folder"):
        export_project(store, str(tmp_path))
    store.close()


def test_split_is_by_photo_reproducible_and_from_the_cli(tmp_path, capsys):
    images = {f"p{i:02d}.png": (_canvas(), [Box(RECT, f"t{i}"), Box([[10, 150], [90, 150], [90, 180], [10, 180]],
                                                                      f"u{i}")]) for i in range(10)}
    store = _confirmed_project(tmp_path, images)
    store.close()
    label_main(["export", store.folder, "--out", str(tmp_path / "out")])
    assert "exported 10 images (20 boxes) and 20 crops" in capsys.readouterr().out
    label_main(["split", str(tmp_path / "out"), "--ratios", "6:2:2", "--seed", "3"])
    assert capsys.readouterr().out.splitlines() == ["train: 6 images, 12 crops", "val: 2 images, 4 crops",
                                                     "test: 2 images, 4 crops"]
    parts = {p: (tmp_path / "out" / "rec" / f"{p}.txt").read_text() for p in ("train", "val", "test")}
    for part, text in parts.items():  # both crops of a photo sit in its photo's part
        det = (tmp_path / "out" / "det" / f"{part}.txt").read_text()
        stems = {ln.split("\t")[0][len("images/"):-4] for ln in det.splitlines()}
        assert {ln.split("\t")[0][len("crop_img/"):].split("_crop_")[0] for ln in text.splitlines()} == stems
    split_export(str(tmp_path / "out"), parse_ratios("6:2:2"), seed=3)
    assert parts == {p: (tmp_path / "out" / "rec" / f"{p}.txt").read_text() for p in parts}
    split_export(str(tmp_path / "out"), parse_ratios("6:2:2"), seed=4)
    assert parts != {p: (tmp_path / "out" / "rec" / f"{p}.txt").read_text() for p in parts}


@pytest.mark.parametrize("text, expected", [("6:2:2", (0.6, 0.2, 0.2)), ("0.8,0.2", (0.8, 0.2, 0.0))])
def test_ratios(text, expected):
    assert parse_ratios(text) == pytest.approx(expected)
    assert part_sizes(3, parse_ratios("6:2:2")) == [1, 1, 1] and part_sizes(10, (0.7, 0.2, 0.1)) == [7, 2, 1]
    for bad in ("1", "a:b", "0:1:1", "-1:1:1"):
        with pytest.raises(DataError, match="--ratios"):
            parse_ratios(bad)


def test_training_reads_the_export_with_our_configs(tmp_path):
    from ppocr.config import apply_overrides, load_config
    from ppocr.data.loader import build_dataloader

    boxes = [Box([[66, 50], [327, 46], [327, 77], [67, 82]], "PHO CAPITAL"),
             Box([[72, 92], [453, 84], [454, 114], [73, 122]], "107 state street"),
             Box([[69, 134], [482, 127], [483, 158], [70, 165]], "MONTPELIER VERMONT")]
    store = _confirmed_project(tmp_path, {f"{n}.jpg": (SCENE, boxes) for n in ("a", "b", "c", "d")})
    out = tmp_path / "out"
    export_project(store, str(out))
    store.close()
    split_export(str(out), (0.5, 0.5, 0.0))
    # PaddleOCR's training also reads the project's own Label.txt, data_dir being the folder's parent
    direct = apply_overrides(load_config(ROOT / "configs/det/finetune/ch_PP-OCRv3_det_finetune_synth.yml"), [
        f"Train.dataset.data_dir={tmp_path}", f"Train.dataset.label_file_list=['{tmp_path / 'photos' / 'Label.txt'}']"])
    assert len(build_dataloader(direct, "Train").dataset) == 4
    det_cfg = apply_overrides(load_config(ROOT / "configs/det/finetune/ch_PP-OCRv3_det_finetune_synth.yml"), [
        f"Train.dataset.data_dir={out / 'det'}", f"Train.dataset.label_file_list=['{out / 'det' / 'train.txt'}']",
        "Train.loader.batch_size_per_card=2"])
    batch = next(iter(build_dataloader(det_cfg, "Train")))
    assert [tuple(t.shape) for t in batch][0] == (2, 3, 320, 320)
    assert float(batch[3].numpy().sum()) > 0  # shrink maps hold the exported boxes
    rec_cfg = load_config(ROOT / "configs/rec/finetune/ch_PP-OCRv2_rec_finetune_synth.yml")
    rec_cfg["Train"]["dataset"] = {"name": "SimpleDataSet", "data_dir": str(out / "rec"),
                                   "label_file_list": [str(out / "rec" / "train.txt")],
                                   "transforms": rec_cfg["Train"]["dataset"]["transforms"]}
    rec_cfg["Train"]["loader"].update(batch_size_per_card=3, drop_last=False)
    loader = build_dataloader(rec_cfg, "Train")
    assert len(loader.dataset) == 6
    images, labels, lengths = next(iter(loader))
    assert tuple(images.shape) == (3, 3, 32, 320) and sorted(lengths.numpy().tolist()) == [11, 16, 18]
