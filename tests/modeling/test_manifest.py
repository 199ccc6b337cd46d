"""Every shipped PP-OCRv2 config builds a model whose state_dict matches upstream's, in order.

The manifest (tests/fixtures/compat) lists upstream PaddleOCR 2.x's keys, shapes and dtypes for
each architecture; equal lists mean upstream checkpoints load without renaming.
"""

import json
from pathlib import Path

import pytest

from ppocr.config import load_config
from ppocr.modeling.architectures import build_model, resolve_architecture

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = json.loads((DATA / "compat" / "ppocrv2_state_dict_manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(MANIFEST))
def test_state_dict_matches_manifest(name):
    entry = MANIFEST[name]
    cfg = load_config(ROOT / entry["config"])
    if "character_dict_path" in cfg["Global"]:
        cfg["Global"]["character_dict_path"] = str(DATA / "dicts" / "ppocr_keys_v1.txt")
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
    if entry["out_channels"] is not None:
        heads = [v for k, v in model.state_dict().items() if k.endswith("head.fc2.bias")]
        assert heads and all(v.shape == [entry["out_channels"]] for v in heads)
