"""Read Paddle's combined-tensor ``.pdiparams`` file by hand (no Paddle executor, no pickle).

The file is the records ``save_combine`` wrote, one per persistable variable, in the sorted
order of their names (the order ``load_combine`` reads them back). Each record, little-endian
(Paddle's ``SerializeToStream`` for a DenseTensor, ``paddle/phi/core/framework``):

- ``uint32`` version (0);
- ``uint64`` LoD level count, then for each level a ``uint64`` byte size and that many bytes;
- ``uint32`` tensor version (0);
- ``int32`` size of a ``VarType.TensorDesc`` protobuf (``data_type``, ``dims``), then the protobuf;
- the raw data: ``prod(dims) * sizeof(dtype)`` bytes.

Names are not stored: the graph gives them (``paddle_program`` / ``paddle_pir``).
"""

from __future__ import annotations

import os
import struct

import numpy as np

from ppocr.errors import DataError

# VarType.Type enum values (framework.proto) -> numpy dtype.
_DTYPES = {0: np.bool_, 1: np.int16, 2: np.int32, 3: np.int64, 4: np.float16, 5: np.float32, 6: np.float64,
           20: np.uint8, 21: np.int8}
_MAX_DIMS = 16


def _tensor_desc(data: bytes) -> tuple[int, list[int]]:
    from paddle.base.proto.framework_pb2 import VarType

    desc = VarType.TensorDesc()
    desc.ParseFromString(data)
    return int(desc.data_type), [int(d) for d in desc.dims]


def read_pdiparams(path: str, expected: list[tuple[str, list[int]]]) -> dict[str, np.ndarray]:
    """The tensors of ``path`` keyed by the names in ``expected`` (``(name, dims)`` in file order).

    Raises:
        DataError: the file is missing, truncated, has another number of records than the
            graph has parameters, or a record's shape differs from its variable's (names both).
    """
    from google.protobuf.message import DecodeError

    if not os.path.isfile(path):
        raise DataError(f"Paddle params file not found: {path}")
    with open(path, "rb") as f:
        buf = f.read()
    out: dict[str, np.ndarray] = {}
    off = 0

    def take(size: int, what: str, index: int) -> bytes:
        nonlocal off
        if size < 0 or off + size > len(buf):
            raise DataError(f"{path}: truncated in record {index + 1} of {len(expected)} "
                            f"({expected[index][0] if index < len(expected) else '?'}): needs {size} bytes of "
                            f"{what} at byte {off}, the file has {len(buf)}")
        chunk = buf[off:off + size]
        off += size
        return chunk

    for index, (name, dims) in enumerate(expected):
        if off >= len(buf):
            raise DataError(f"{path}: truncated: {index} records, the graph has {len(expected)} parameters "
                            f"(first missing: {name})")
        (version,) = struct.unpack("<I", take(4, "version", index))
        (levels,) = struct.unpack("<Q", take(8, "LoD header", index))
        if version != 0 or levels > _MAX_DIMS:
            raise DataError(f"{path}: record {index + 1} ({name}) is not a Paddle tensor record "
                            f"(version {version}, {levels} LoD levels)")
        for _ in range(levels):
            (size,) = struct.unpack("<Q", take(8, "LoD level size", index))
            take(size, "LoD level", index)
        (tensor_version,) = struct.unpack("<I", take(4, "tensor version", index))
        (desc_size,) = struct.unpack("<i", take(4, "tensor desc size", index))
        if tensor_version != 0 or not 0 <= desc_size <= 4096:
            raise DataError(f"{path}: record {index + 1} ({name}) has a bad tensor header "
                            f"(version {tensor_version}, desc size {desc_size})")
        try:
            dtype_code, shape = _tensor_desc(take(desc_size, "tensor desc", index))
        except DecodeError as exc:
            raise DataError(f"{path}: record {index + 1} ({name}): unreadable tensor desc ({exc})") from exc
        if dtype_code not in _DTYPES:
            raise DataError(f"{path}: record {index + 1} ({name}) has unsupported data type {dtype_code}")
        if len(shape) > _MAX_DIMS or any(d < 0 for d in shape):
            raise DataError(f"{path}: record {index + 1} ({name}) has a bad shape {shape}")
        if list(shape) != list(dims):
            raise DataError(f"{path}: record {index + 1} has shape {shape} but the graph's {name} is {list(dims)} "
                            "(params file from another model?)")
        dtype = np.dtype(_DTYPES[dtype_code]).newbyteorder("<")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        raw = take(count * dtype.itemsize, "tensor data", index)
        out[name] = np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    if off != len(buf):
        raise DataError(f"{path}: {len(buf) - off} bytes left after the {len(expected)} parameters the graph names "
                        "(params file from another model?)")
    return out
