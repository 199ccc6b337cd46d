"""Released inference model -> trainable weights: the logic behind ``tools/import_model.py``.

``import_model(source, config, save_path)`` reads an ``.onnx`` file or a Paddle inference dir
(``inference.pdmodel`` or ``inference.json``, plus ``inference.pdiparams``) without running
anything from it, pairs its parameterised ops with the layers of the model ``config``
builds (in graph order, checking kinds, shapes and wiring), checks that the result computes
what the source computes (onnxruntime / paddle.inference, random inputs at three shapes and
the given images, ``atol`` on the probabilities/maps), and only then writes
``save_path.pdparams`` (loads with ``Global.pretrained_model`` / ``Global.checkpoints``)
and ``save_path.json`` (the ``ImportReport``). The steps live in ``ppocr.export.importing``.

Models with re-parameterisable layers (PPLCNetV3) are matched in the form the source holds:
released PP-OCRv4 files are fused (``rep()``), so the source is mapped onto a fused copy of our
model and ``importing.reparam`` writes it back into the trainable branches (checked against
the source again, in eval mode; BN statistics of the re-created branches come from the given
images, else synthetic text: ``importing.calibration``); an export made without ``rep()`` maps
onto the branches directly. ``reparam="auto"`` tries the fused form first, then the unfused one.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.export.importing.calibration import calibration_inputs
from ppocr.export.importing.checks import input_shapes, load_images, run_checks
from ppocr.export.importing.mapping import MappingResult, apply, map_graph
from ppocr.export.importing.reparam import conv_statistics, fused_copy, has_unfused_rep_layers, unfuse
from ppocr.export.importing.report import ImportReport, SourceFile
from ppocr.export.importing.runners import make_runner
from ppocr.export.importing.sources import read_source, sha256_file
from ppocr.export.importing.trace import Tracer
from ppocr.modeling.architectures import build_model, resolve_architecture
from ppocr.utils.logging import get_logger
from ppocr.weights.state_dict_io import write_state_dict

__all__ = ["ImportReport", "import_model"]

DEFAULT_SUB_MODEL = "Student"
REPARAM_MODES = ("auto", "fused", "unfused")


def _select(model: Any, config: dict[str, Any], sub_model: str | None) -> tuple[Any, str, str | None, str]:
    """(layer to fill, key prefix, sub-model name, model_type)."""
    from ppocr.modeling.architectures.distillation_model import sub_models

    arch = config["Architecture"]
    subs = sub_models(model)
    if not subs:
        if sub_model:
            raise ConfigError(f"sub_model {sub_model!r} given, but the config builds a plain "
                              f"{arch.get('name') or 'BaseModel'} (no Architecture.Models)")
        return model, "", None, str(arch.get("model_type"))
    name = sub_model or DEFAULT_SUB_MODEL
    if name not in subs:
        hint = "" if sub_model else " (the default); pass sub_model"
        raise ConfigError(f"the distillation config has no sub-model {name!r}{hint}; it has: {', '.join(subs)}")
    section = (arch.get("Models") or {}).get(name) or {}
    return subs[name], f"{name}.", name, str(section.get("model_type") or arch.get("model_type"))


def _weights_path(save_path: str) -> tuple[str, str]:
    base = save_path[:-len(".pdparams")] if save_path.endswith(".pdparams") else save_path
    return base + ".pdparams", base + ".json"


def _trace_and_map(graph: Any, layer: Any, prefix: str, shapes: list[list[int]],
                   where: str) -> tuple[Tracer, MappingResult, list[str]]:
    """Trace ``layer``, pair it with the source; (tracer, mapping, keys of layers that do not run in eval)."""
    tracer = Tracer(layer, prefix)
    tracer.run(np.zeros([1] + shapes[0][1:], dtype=np.float32))
    not_in_source = []
    for key in tracer.uncovered_keys():
        owner, ran = tracer.owner_of(key)
        if ran:
            raise ConfigError(f"{where}: our {owner} holds {key} and runs in eval mode, but the importer maps only "
                              "Conv2D, Conv2DTranspose, BatchNorm, Linear, LSTM, LayerNorm and learnable affine "
                              "layers")
        not_in_source.append(key)
    return tracer, map_graph(graph, tracer.layers, where), not_in_source


def _map_form(graph: Any, target: Any, prefix: str, shapes: list[list[int]], where: str,
              reparam: str) -> tuple[str | None, Any, Tracer, MappingResult, list[str]]:
    """(form, layer mapped, tracer, mapping, not_in_source).

    ``form`` is None for a model without re-parameterisable layers, else ``fused`` (mapped onto a
    ``rep()``-ed copy of ``target``) or ``unfused`` (onto ``target``'s branches).
    """
    if reparam not in REPARAM_MODES:
        raise ConfigError(f"reparam must be one of {', '.join(REPARAM_MODES)}; got {reparam!r}")
    if not has_unfused_rep_layers(target) or reparam == "unfused":
        return ("unfused" if has_unfused_rep_layers(target) else None, target,
                *_trace_and_map(graph, target, prefix, shapes, where))
    fused = fused_copy(target)
    try:
        return ("fused", fused, *_trace_and_map(graph, fused, prefix, shapes, where))
    except ConfigError as fused_error:
        if reparam == "fused":
            raise
        try:
            return ("unfused", target, *_trace_and_map(graph, target, prefix, shapes, where))
        except ConfigError as unfused_error:
            raise ConfigError(f"{fused_error} [as re-parameterised (rep()) layers; with their branches unfused "
                              f"instead: {unfused_error}]") from unfused_error


def import_model(source: str, config: dict[str, Any], save_path: str, images: list[str] | None = None,
                 sub_model: str | None = None, *, config_path: str | None = None,
                 atol: float = 1e-4, reparam: str = "auto") -> ImportReport:
    """Import ``source``'s weights into the model ``config`` describes and save them.

    Args:
        source: an ``.onnx`` file, or a Paddle inference dir (or its graph file).
        config: a loaded config (``ppocr.config.load_config``) whose Architecture matches the source.
        save_path: output prefix: ``save_path.pdparams`` and ``save_path.json`` are written.
        images: image files to compare on, preprocessed by the config's Eval transforms.
        sub_model: for a distillation config, the sub-model to fill (default ``Student``); its keys
            keep the ``Student.`` prefix the DistillationModel gives them.
        config_path: recorded in the report.
        atol: the largest max-abs output difference accepted.
        reparam: for models with re-parameterisable layers, the form the source holds:
            ``fused`` (after ``rep()``, as released), ``unfused`` (the training branches), or
            ``auto`` (fused, else unfused). The saved weights are always the trainable form.

    Returns:
        The ``ImportReport`` (also written as ``save_path.json``).

    Raises:
        DataError: the source is missing, truncated or corrupt (names the file).
        ConfigError: the config does not fit the source (names the first mismatching layer and
            op), or the imported model does not reproduce the source (names the first divergent
            layer). Nothing is written then.
    """
    source = os.fspath(source)
    log = get_logger()
    graph = read_source(source)
    where = f"{source} -> {config_path or 'the config'}"
    if graph.unmapped:
        shown = "; ".join(graph.unmapped[:3])
        raise ConfigError(f"{where}: {len(graph.unmapped)} source weight(s) are read by ops the importer cannot "
                          f"map, and would be lost: {shown}")
    if not isinstance(config.get("Architecture"), dict):
        raise ConfigError(f"{config_path or 'the config'}: no Architecture section to build the model from")
    model = build_model(resolve_architecture(config))
    target, prefix, sub_name, model_type = _select(model, config, sub_model)
    shapes = input_shapes(config, model_type, graph.input_shape)
    form, mapped, tracer, mapping, not_in_source = _map_form(graph, target, prefix, shapes, where, reparam)
    apply(mapping)
    runner = make_runner(graph)
    pictures = load_images(config, list(images)) if images else []
    source_outputs: dict[str, np.ndarray] = {}
    checks = run_checks(mapped, tracer, graph, mapping, runner, shapes, pictures, atol, where,
                        source_outputs=source_outputs)
    fused_checks, fresh, fused_notes, calibrated = [], [], list(mapping.fused), None
    if form == "fused":
        fused_checks = checks
        calibration = calibration_inputs(config, model_type, pictures)
        calibrated = calibration.source
        unfused = unfuse(mapped, target, prefix, conv_statistics(mapped, calibration.batches))
        for tensor in mapping.tensors:
            tensor.keys = [unfused.renamed.get(k, k) for k in tensor.keys]
        mapping.initialised.extend(unfused.initialised)
        fresh, fused_notes = unfused.fresh, fused_notes + unfused.notes
        try:
            checks = run_checks(target, tracer, graph, mapping, runner, shapes, pictures, atol, where,
                                source_outputs=source_outputs)
        except ConfigError as exc:
            raise ConfigError(f"{where}: the fused (rep()) form reproduces the source but its trainable form does "
                              f"not (a bug in un-fusing): {exc}") from exc

    weights_file, report_file = _weights_path(os.fspath(save_path))
    state = {prefix + k: v.numpy() for k, v in target.state_dict().items()}
    info = write_state_dict(state, weights_file)
    if not_in_source:
        log.warning("%d key(s) of layers that do not run in eval mode keep their initialisation (not in any "
                    "inference model): %s%s", len(not_in_source), ", ".join(not_in_source[:3]),
                    "..." if len(not_in_source) > 3 else "")
    report = ImportReport(
        source=source, source_format=graph.format,
        source_files=[SourceFile(f, sha256_file(f), os.path.getsize(f)) for f in graph.files],
        config=config_path, sub_model=sub_name, model_type=model_type, weights=weights_file,
        weights_sha256=info["sha256"], keys_total=len(state), keys_mapped=mapping.keys_mapped,
        mapping=mapping.tensors, initialised=mapping.initialised, not_in_source=not_in_source,
        fused=fused_notes, checks=checks, atol=atol, reparam=form, fresh=fresh, fused_checks=fused_checks,
        calibration=calibrated)
    report.write_json(report_file)
    log.info("imported %s into %s: %d/%d keys from the source, max |diff| %.3g over %d inputs",
             source, weights_file, report.keys_mapped, report.keys_total, report.max_abs_diff, len(checks))
    return report
