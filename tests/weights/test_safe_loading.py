"""Weight files are read without executing code; upstream's formats keep loading; safetensors round trips."""

import os
import pickle

import numpy as np
import paddle
import pytest

from ppocr.errors import ConfigError, DataError
from ppocr.weights.convert import convert_weights
from ppocr.weights.pretrained import load_pretrained_weights
from ppocr.weights.safe_pickle import safe_load_pickle
from ppocr.weights.state_dict_io import NAME_TABLE, find_weights_file, read_state_dict, write_state_dict


class Payload:
    """Unpickling this calls ``os.mkdir(marker)``: the visible trace of code execution."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def evil_file(path, marker, protocol=4) -> str:
    with open(path, "wb") as f:
        pickle.dump({"weight": np.zeros(3, np.float32), "bias": Payload(str(marker))}, f, protocol=protocol)
    return str(path)


def net() -> paddle.nn.Layer:
    paddle.seed(0)
    return paddle.nn.Sequential(paddle.nn.Conv2D(3, 4, 3), paddle.nn.BatchNorm2D(4), paddle.nn.Linear(4, 2))


def weights(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("ext", [".pdparams", ".pdopt"])
def test_crafted_pickle_is_refused_and_never_runs(tmp_path, protocol, ext):
    marker = tmp_path / "pwned"
    path = evil_file(tmp_path / f"evil{ext}", marker, protocol)
    with pytest.raises(DataError, match=r"evil\.pd\w+: refused to load .*references posix\.mkdir.*nothing was executed"):
        read_state_dict(path)
    assert not marker.exists()


def test_pretrained_load_refuses_crafted_file(tmp_path):
    marker = tmp_path / "pwned"
    evil_file(tmp_path / "w.pdparams", marker)
    with pytest.raises(DataError, match="refused to load"):
        load_pretrained_weights(net(), str(tmp_path / "w"))
    assert not marker.exists()


def _as_upstream_bytes(state: dict) -> bytes:
    """What Paddle 2.x with NumPy 1.x wrote: protocol 2, ``numpy.core.multiarray`` globals."""
    data = pickle.dumps(state, protocol=2)
    return data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def test_upstream_format_pdparams_loads_bit_for_bit(tmp_path):
    source = net()
    state = {k: v.numpy() for k, v in source.state_dict().items()}
    state[NAME_TABLE] = {k: f"param_{i}" for i, k in enumerate(state)}
    (tmp_path / "up.pdparams").write_bytes(_as_upstream_bytes(state))
    assert b"numpy.core.multiarray" in (tmp_path / "up.pdparams").read_bytes()
    target = net()
    for p in target.parameters():
        p.set_value(np.zeros(p.shape, np.float32))
    report = load_pretrained_weights(target, str(tmp_path / "up"))
    assert len(report["loaded"]) == len(state) - 1 and not report["missing"]
    for key, value in weights(source).items():
        assert np.array_equal(weights(target)[key], value)


def test_paddle_save_files_load_and_split_params_join(tmp_path):
    source = net()
    paddle.save(source.state_dict(), str(tmp_path / "p.pdparams"))
    state = read_state_dict(str(tmp_path / "p.pdparams"))
    assert all(isinstance(v, np.ndarray) for k, v in state.items() if k != NAME_TABLE)
    # paddle.save's slices of a tensor too big for one pickle entry (UnpackBigParamInfor@@)
    whole = np.arange(12, dtype=np.float32).reshape(3, 4)
    split = {"w@@.0": whole.reshape(-1)[:5], "w@@.1": whole.reshape(-1)[5:],
             "UnpackBigParamInfor@@": {"w": {"OriginShape": [3, 4], "slices": ["w@@.0", "w@@.1"]}}}
    (tmp_path / "big.pdparams").write_bytes(pickle.dumps(split, protocol=4))
    joined = read_state_dict(str(tmp_path / "big.pdparams"))
    assert list(joined) == ["w"] and np.array_equal(joined["w"], whole)


@pytest.mark.parametrize("content, expected", [
    (b"", "not a readable"), (b"\x80\x04\x95\x10\x00\x00", "not a readable"),
    (b"PK\x03\x04 this is a zip, not a pickle", "not a readable"),
])
def test_truncated_or_foreign_files_are_data_errors(tmp_path, content, expected):
    (tmp_path / "bad.pdparams").write_bytes(content)
    with pytest.raises(DataError, match=rf"bad\.pdparams: {expected}"):
        read_state_dict(str(tmp_path / "bad.pdparams"))


def test_truncated_real_file_is_a_data_error(tmp_path):
    paddle.save(net().state_dict(), str(tmp_path / "full.pdparams"))
    data = (tmp_path / "full.pdparams").read_bytes()
    (tmp_path / "cut.pdparams").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.pdparams: not a readable weights file \(truncated"):
        load_pretrained_weights(net(), str(tmp_path / "cut.pdparams"))


def test_missing_file_says_which(tmp_path):
    with pytest.raises(DataError, match=r"pretrained weights not found: .*nothere\.pdparams \(or \.safetensors\)"):
        load_pretrained_weights(net(), str(tmp_path / "nothere"))


def test_safetensors_round_trip_and_load_by_extension(tmp_path):
    source = net()
    state = {k: v.numpy() for k, v in source.state_dict().items()}
    state[NAME_TABLE] = {"0.weight": "conv2d_0.w_0"}
    write_state_dict(state, str(tmp_path / "w.safetensors"))
    back = read_state_dict(str(tmp_path / "w.safetensors"))
    assert back[NAME_TABLE] == {"0.weight": "conv2d_0.w_0"}
    assert find_weights_file(str(tmp_path / "w")) == str(tmp_path / "w.safetensors")
    target = net()
    for p in target.parameters():
        p.set_value(np.zeros(p.shape, np.float32))
    load_pretrained_weights(target, str(tmp_path / "w.safetensors"))
    for key, value in weights(source).items():
        assert np.array_equal(weights(target)[key], value)


def test_convert_both_ways_is_lossless(tmp_path):
    paddle.save(net().state_dict(), str(tmp_path / "a.pdparams"))
    report = convert_weights(str(tmp_path / "a.pdparams"), str(tmp_path / "a.safetensors"))
    assert report.tensors == len(net().state_dict())
    convert_weights(str(tmp_path / "a.safetensors"), str(tmp_path / "b.pdparams"))
    a, b = read_state_dict(str(tmp_path / "a.pdparams")), read_state_dict(str(tmp_path / "b.pdparams"))
    assert a.keys() == b.keys()
    for key in a:
        if key != NAME_TABLE:
            assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key])


def test_convert_refuses_optimizer_state_and_bad_names(tmp_path):
    model = net()
    opt = paddle.optimizer.Adam(parameters=model.parameters(),
                                learning_rate=paddle.optimizer.lr.CosineAnnealingDecay(0.1, 10))
    model(paddle.randn([1, 3, 3, 6])).mean().backward()
    opt.step()
    paddle.save(opt.state_dict(), str(tmp_path / "o.pdparams"))
    with pytest.raises(ConfigError, match="not tensors .*LR_Scheduler"):
        convert_weights(str(tmp_path / "o.pdparams"), str(tmp_path / "o.safetensors"))
    with pytest.raises(ConfigError, match="expected a .pdparams or .safetensors"):
        convert_weights(str(tmp_path / "o.pdparams"), str(tmp_path / "o.bin"))


def test_corrupt_safetensors_is_a_data_error(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"\xff" * 40)
    with pytest.raises(DataError, match=r"x\.safetensors: not a readable safetensors"):
        read_state_dict(str(tmp_path / "x.safetensors"))


def test_states_style_payload_via_safe_load_pickle(tmp_path):
    marker = tmp_path / "pwned"
    with open(tmp_path / "s.states", "wb") as f:
        pickle.dump({"epoch": 1, "x": Payload(str(marker))}, f, protocol=2)
    with pytest.raises(DataError, match="refused"):
        safe_load_pickle(str(tmp_path / "s.states"), "checkpoint states file")
    assert not marker.exists()
