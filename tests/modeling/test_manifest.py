"""Every PP-OCRv2, PP-OCRv3 and PP-OCRv4 config we ship builds upstream's state_dict, in order.

The manifests (tests/fixtures/compat) list upstream PaddleOCR's keys, shapes and dtypes for each
architecture; equal lists mean upstream checkpoints load without renaming. Every entry's config
must ship at the manifest's ``config`` path: a missing one fails.
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
V3V4 = _manifest("ppocrv3v4_state_dict_manifest.json")
MANIFEST.update(V3V4)


def test_every_v3v4_entry_ships_its_config():
    assert len(V3V4) == 10
    missing = [f"{name}: {entry['config']}" for name, entry in V3V4.items() if not (ROOT / entry["config"]).is_file()]
    assert not missing, f"manifest configs not shipped: {missing}"


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
