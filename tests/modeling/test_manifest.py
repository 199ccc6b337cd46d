"""Every shipped PP-OCRv2 (and shipped PP-OCRv3/v4) config builds upstream's state_dict, in order.

The manifests (tests/fixtures/compat) list upstream PaddleOCR 2.x's keys, shapes and dtypes for
each architecture; equal lists mean upstream checkpoints load without renaming. v3/v4 entries are
checked once their config ships (``entry["config"]`` exists under configs/).
"""

import json
from pathlib import Path

import pytest

from ppocr.config import load_config
from ppocr.modeling.architectures import build_model, resolve_architecture

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "fixtures"


def _manifest(name: str) -> dict:
    return json.loads((DATA / "compat" / name).read_text(encoding="utf-8"))


MANIFEST = _manifest("ppocrv2_state_dict_manifest.json")
V3V4 = {k: v for k, v in _manifest("ppocrv3v4_state_dict_manifest.json").items() if (ROOT / v["config"]).is_file()}
MANIFEST.update(V3V4)


def test_v3_det_configs_are_checked():
    assert {"ch_PP-OCRv3_det_student", "ch_PP-OCRv3_det_cml"} <= set(V3V4)


@pytest.mark.parametrize("name", list(MANIFEST))
def test_state_dict_matches_manifest(name):
    entry = MANIFEST[name]
    cfg = load_config(ROOT / entry["config"])
    if "character_dict_path" in cfg["Global"]:
        shipped = DATA / "dicts" / Path(cfg["Global"]["character_dict_path"]).name
        cfg["Global"]["character_dict_path"] = str(shipped if shipped.is_file() else DATA / "dicts" / "ppocr_keys_v1.txt")
    arch = resolve_architecture(cfg)
    # Sub-model 'pretrained' paths point at upstream downloads that tests do not have.
    for sub in (arch.get("Models") or {}).values():
        sub["pretrained"] = None
    model = build_model(arch)
    got = [[k, list(v.shape), str(v.dtype).replace("paddle.", "")] for k, v in model.state_dict().items()]
    expected = entry["params"]
    first_diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), None)
    assert first_diff is None, f"{name}: entry {first_diff}: got {got[first_diff]}, upstream {expected[first_diff]}"
    assert len(got) == len(expected)
    if isinstance(entry["out_channels"], int):  # a MultiHead's dict of widths is not checked here
        heads = [v for k, v in model.state_dict().items() if k.endswith("head.fc2.bias")]
        assert heads and all(v.shape == [entry["out_channels"]] for v in heads)
