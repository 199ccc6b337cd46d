"""What an import did, as one typed object; ``OUT.json`` is its ``to_dict()``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ppocr.export.importing.checks import OutputCheck
from ppocr.export.importing.mapping import TensorMap
from ppocr.weights.files import sync_and_digest, temp_path


@dataclass
class SourceFile:
    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass
class ImportReport:
    """The result of ``import_model``.

    Attributes:
        source: the ``.onnx`` file or Paddle inference dir given.
        source_format: ``onnx``, ``paddle`` (inference.pdmodel) or ``paddle-pir`` (inference.json).
        source_files: each file read, with its sha256.
        config: the config's path (when known) and ``sub_model`` the distillation sub-model filled.
        weights: the ``.pdparams`` written, with ``weights_sha256``.
        keys_total: state_dict keys of the (sub-)model; ``keys_mapped`` those filled from the source.
        mapping: each source tensor and the key(s) it went to.
        initialised: keys set to a value the source implies but does not store (zero biases,
            the identity BN of an undone conv+BN fusion; for a fused re-parameterised source, the
            first branch's identity BN and the zeroed BNs of the other branches).
        not_in_source: keys of layers our model does not run in eval mode, hence absent from any
            inference export (DB's threshold branch, a MultiHead's SAR/NRTR branch); they keep
            their initialisation.
        fresh: keys that run but start switched off, keeping a fresh model's initialisation (the
            conv weights of re-parameterisation branches whose BN gamma is 0).
        fused: conv+BN fusions and re-parameterised layers undone.
        checks: the saved (trainable) model's output comparisons, ``atol`` their tolerance.
        reparam: None without re-parameterisable layers; ``fused`` when the source held them fused
            (mapped onto our ``rep()``-ed model, then un-fused; ``fused_checks`` are that fused
            model's comparisons) or ``unfused``.
        calibration: for ``fused``, the inputs that gave the re-created branches' BN statistics.
    """

    source: str
    source_format: str
    source_files: list[SourceFile]
    config: str | None
    sub_model: str | None
    model_type: str
    weights: str
    weights_sha256: str
    keys_total: int
    keys_mapped: int
    mapping: list[TensorMap] = field(default_factory=list)
    initialised: list[str] = field(default_factory=list)
    not_in_source: list[str] = field(default_factory=list)
    fused: list[str] = field(default_factory=list)
    checks: list[OutputCheck] = field(default_factory=list)
    atol: float = 1e-4
    reparam: str | None = None
    fresh: list[str] = field(default_factory=list)
    fused_checks: list[OutputCheck] = field(default_factory=list)
    calibration: str | None = None

    @property
    def max_abs_diff(self) -> float:
        return max((c.max_abs_diff for c in self.checks), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "source_format": self.source_format,
            "source_files": [f.to_dict() for f in self.source_files],
            "config": self.config, "sub_model": self.sub_model, "model_type": self.model_type,
            "weights": self.weights, "weights_sha256": self.weights_sha256,
            "keys_total": self.keys_total, "keys_mapped": self.keys_mapped,
            "initialised": self.initialised, "not_in_source": self.not_in_source, "fresh": self.fresh,
            "fused": self.fused, "reparam": self.reparam,
            "calibration": self.calibration, "atol": self.atol, "max_abs_diff": self.max_abs_diff,
            "checks": [c.to_dict() for c in self.checks],
            "fused_checks": [c.to_dict() for c in self.fused_checks],
            "mapping": [m.to_dict() for m in self.mapping],
        }

    def write_json(self, path: str) -> None:
        """Write ``to_dict()`` to ``path`` atomically (temp file, fsync, rename)."""
        tmp = temp_path(path)
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, indent=1, ensure_ascii=False)
            sync_and_digest(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
