"""Run the source model as deployment would: onnxruntime for ``.onnx``, paddle.inference for a dir.

``run(x)`` gives the first output; ``run_plain(x)`` the same with the runtime's graph
optimisations off, whose difference from ``run`` is the runtime's own float32 rounding noise
on that input (fused and reordered kernels). ``probe(x, values)`` returns intermediate values
(the mapped ops' outputs) for the activation comparison:

- ONNX: a copy of the model with those values added as graph outputs, run with graph
  optimisations off (so no fusion hides them);
- Paddle 2 (``.pdmodel``): a copy of the ProgramDesc with one ``fetch`` op per value;
- Paddle 3 PIR (``.json``): a copy of the program with one ``fetch`` op per value id.

The copies live in a temporary dir (the ``.pdiparams`` hard-linked, or copied) that is
removed afterwards; the predictor runs them with IR optimisation off.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile

import numpy as np

from ppocr.errors import DataError
from ppocr.export.importing.graph import SourceGraph

_THREADS = max(1, min(os.cpu_count() or 1, 4))


class OnnxRunner:
    def __init__(self, graph: SourceGraph) -> None:
        from ppocr.inference.onnx_predictor import OnnxPredictor

        self.graph = graph
        self.predictor = OnnxPredictor(graph.path, cpu_threads=_THREADS)
        self._plain = None

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.predictor.run(x)[0]

    def run_plain(self, x: np.ndarray) -> np.ndarray:
        """The first output with graph optimisations off (the runtime's own rounding noise)."""
        if self._plain is None:
            self._plain = _ort_session(self.graph.path)
        return self._plain.run(None, {self._plain.get_inputs()[0].name: np.ascontiguousarray(x, np.float32)})[0]

    def probe(self, x: np.ndarray, values: list[str]) -> dict[str, np.ndarray]:
        import onnx

        model = onnx.load(self.graph.path, load_external_data=False)
        present = {o.name for o in model.graph.output}
        for value in values:
            if value not in present:
                model.graph.output.append(onnx.ValueInfoProto(name=value))
                present.add(value)
        session = _ort_session(model.SerializeToString())
        results = session.run(values, {session.get_inputs()[0].name: np.ascontiguousarray(x, np.float32)})
        return dict(zip(values, results))


def _ort_session(model: str | bytes):
    """An onnxruntime CPU session with graph optimisations off (no fusion hides a value)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = _THREADS
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class PaddleRunner:
    def __init__(self, graph: SourceGraph) -> None:
        from ppocr.inference.predictor import Predictor

        self.graph = graph
        self.predictor = Predictor(graph.path, enable_mkldnn=False, cpu_threads=_THREADS)
        self._plain = None

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.predictor.run(x)[0]

    def run_plain(self, x: np.ndarray) -> np.ndarray:
        """The first output with IR optimisation off (the runtime's own rounding noise)."""
        if self._plain is None:
            self._plain = _plain_predictor(*self.graph.files)
        return _run_predictor(self._plain, x)[0]

    def probe(self, x: np.ndarray, values: list[str]) -> dict[str, np.ndarray]:
        graph_file, params_file = self.graph.files
        folder = tempfile.mkdtemp(prefix="ppocr-import-probe-")
        try:
            name = os.path.basename(graph_file)
            probe_graph = os.path.join(folder, name)
            probe_params = os.path.join(folder, os.path.basename(params_file))
            fetch_names = (_fetch_pir if name.endswith(".json") else _fetch_program)(graph_file, probe_graph, values)
            try:
                os.link(params_file, probe_params)
            except OSError:
                shutil.copyfile(params_file, probe_params)
            predictor = _plain_predictor(probe_graph, probe_params)
            _run_predictor(predictor, x)
            return {value: predictor.get_output_handle(fetch).copy_to_cpu() for value, fetch in fetch_names.items()}
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _plain_predictor(graph_file: str, params_file: str):
    """A paddle.inference CPU predictor without IR optimisation or oneDNN (values stay as written)."""
    import paddle.inference as pdi

    config = pdi.Config(graph_file, params_file)
    config.disable_gpu()
    config.disable_mkldnn()
    config.switch_ir_optim(False)
    config.disable_glog_info()
    config.set_cpu_math_library_num_threads(_THREADS)
    return pdi.create_predictor(config)


def _run_predictor(predictor, x: np.ndarray) -> list[np.ndarray]:
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(list(x.shape))
    handle.copy_from_cpu(np.ascontiguousarray(x, np.float32))
    predictor.run()
    return [predictor.get_output_handle(n).copy_to_cpu() for n in predictor.get_output_names()]


def _fetch_program(src: str, dst: str, values: list[str]) -> dict[str, str]:
    """Copy a ``.pdmodel`` with a ``fetch`` op per variable; returns value -> output name."""
    from paddle.base.proto.framework_pb2 import ProgramDesc

    with open(src, "rb") as f:
        program = ProgramDesc.FromString(f.read())
    block = program.blocks[0]
    fetches = [op for op in block.ops if op.type == "fetch"]
    if not fetches:
        raise DataError(f"{src}: the program has no fetch op to copy")
    cols = [a.i for op in fetches for a in op.attrs if a.name == "col"]
    col = max(cols, default=-1) + 1
    out = {}
    for value in values:
        op = block.ops.add()
        op.CopyFrom(fetches[0])
        op.inputs[0].arguments[:] = [value]
        for attr in op.attrs:
            if attr.name == "col":
                attr.i = col
        col += 1
        out[value] = value
    with open(dst, "wb") as f:
        f.write(program.SerializeToString())
    return out


def _fetch_pir(src: str, dst: str, values: list[str]) -> dict[str, str]:
    """Copy an ``inference.json`` with a ``fetch`` op per value id (``%12``); returns value -> name."""
    from ppocr.export.importing.paddle_pir import block_ops, load_pir_json

    data = load_pir_json(src)
    ops = block_ops(data)
    fetches = [op for op in ops if op.get("#") == "1.fetch"]
    if not fetches:
        raise DataError(f"{src}: the program has no fetch op to copy")
    types, top = {}, 0
    for op in ops:
        outs = op.get("O") or []
        for entry in outs if isinstance(outs, list) else [outs]:
            top = max(top, int(entry.get("%", 0)))
            types[int(entry.get("%", 0))] = entry.get("TT")
    col = len(fetches)
    out = {}
    for value in values:
        vid = int(value.lstrip("%"))
        op = copy.deepcopy(fetches[0])
        fetch_name = f"ppocr_probe_{col}"
        for attr in op.get("A") or []:
            if attr.get("N") == "name":
                attr["AT"]["D"] = fetch_name
            elif attr.get("N") == "col":
                attr["AT"]["D"] = col
        op["I"] = [{"%": vid}]
        top += 1
        op["O"] = [{"%": top, "TT": types.get(vid)}]
        ops.append(op)
        out[value] = fetch_name
        col += 1
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(data, f)
    return out


def make_runner(graph: SourceGraph) -> OnnxRunner | PaddleRunner:
    return OnnxRunner(graph) if graph.format == "onnx" else PaddleRunner(graph)
