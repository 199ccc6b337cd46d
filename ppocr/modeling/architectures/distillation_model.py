"""Several named BaseModels run on the same input (upstream ``DistillationModel``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import paddle.nn as nn

from ppocr.errors import ConfigError
from ppocr.modeling.architectures.base_model import BaseModel
from ppocr.registry import ARCHITECTURES, check_params
from ppocr.weights.pretrained import load_pretrained_weights

# Keys a sub-model section has besides BaseModel's parameters.
SUB_MODEL_KEYS = ("pretrained", "freeze_params", "frozen_in_eval")


@ARCHITECTURES.register()
class DistillationModel(nn.Layer):
    """Teacher/student sub-models, each a full BaseModel under its config name.

    Sub-layers are named after the ``Models`` keys in config order (``Teacher.backbone...``,
    ``Student.head...``), so checkpoints match upstream's. ``forward`` returns
    ``{name: sub_model_output}``; distillation losses pick outputs by name and key.

    A sub-model section holds BaseModel's keys plus ``pretrained`` (weights loaded right
    after it is built) and ``freeze_params``: a frozen sub-model's parameters get
    ``stop_gradient=True`` / ``trainable=False`` (no gradient, not optimised), and nothing else
    changes. As upstream, it follows the parent's mode: in training a frozen teacher runs in
    train mode too, so it returns its training outputs (a MultiHead teacher's full head dict
    with the ``nrtr``/``gtc`` branch that DKD reads, a DB teacher's three maps), its dropout and
    drop-path are active and its BatchNorm normalises with batch statistics and updates its
    running ones (upstream's trainer calls ``model.train()`` on the whole model).

    ``frozen_in_eval: true`` (a ppocr extension, only with ``freeze_params``) keeps that
    sub-model in eval mode even in training: BatchNorm running statistics fixed, no dropout,
    eval outputs (a DB teacher's shrink map only; a MultiHead teacher's CTC probabilities only,
    so DKD cannot use it). The CPU demos (``configs/det/demo/det_cml_demo.yml``) set it.

    Args:
        Models: ``{name: sub-model section}``.
        model_type: ``det``/``rec``/``cls``; a sub-model without one inherits it.
        algorithm: informational (``Distillation`` upstream).
        in_channels: image channels, passed to sub-models that do not set their own.
    """

    def __init__(
        self,
        Models: Mapping[str, Any],
        model_type: str | None = None,
        algorithm: str | None = None,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if not isinstance(Models, Mapping) or not Models:
            raise ConfigError(f"Architecture.Models must map sub-model names to sections, got {Models!r}")
        self.model_type = model_type
        self.algorithm = algorithm
        self.model_list: list[BaseModel] = []
        self.model_name_list: list[str] = []
        self.frozen_names: list[str] = []
        self.eval_frozen_names: list[str] = []
        for name, section in Models.items():
            where = f"Architecture.Models.{name}"
            if not isinstance(name, str) or not name.isidentifier():
                raise ConfigError(f"{where}: sub-model names must be identifiers, got {name!r}")
            if not isinstance(section, Mapping):
                raise ConfigError(f"{where}: expected a mapping of BaseModel keys, got {section!r}")
            params = {k: v for k, v in section.items() if k not in SUB_MODEL_KEYS}
            params.setdefault("in_channels", in_channels)
            if model_type is not None:
                params.setdefault("model_type", model_type)
            kwargs = check_params(BaseModel, params, "BaseModel", where)
            model = BaseModel(**kwargs)
            pretrained = section.get("pretrained")
            if pretrained:
                _load_pretrained(model, pretrained, where)
            freeze = section.get("freeze_params", False)
            if not isinstance(freeze, bool):
                raise ConfigError(f"{where}.freeze_params must be true or false, got {freeze!r}")
            if freeze:
                for param in model.parameters():
                    param.stop_gradient = True
                    param.trainable = False
                self.frozen_names.append(name)
            in_eval = section.get("frozen_in_eval", False)
            if not isinstance(in_eval, bool) or (in_eval and not freeze):
                raise ConfigError(f"{where}.frozen_in_eval must be true or false and needs freeze_params: true, "
                                  f"got {in_eval!r} (freeze_params: {freeze!r})")
            if in_eval:
                self.eval_frozen_names.append(name)
            self.model_list.append(self.add_sublayer(name, model))
            self.model_name_list.append(name)
        self._keep_frozen_in_eval()

    def train(self, mode: bool = True):
        """Training mode for every sub-model but those with ``frozen_in_eval``."""
        super().train(mode)
        self._keep_frozen_in_eval()
        return self

    def _keep_frozen_in_eval(self) -> None:
        # Set the flags directly: Layer.eval() would also switch the global tracer to eval.
        for name in self.eval_frozen_names:
            model = self._sub_layers[name]
            model.training = False
            for layer in model.sublayers():
                layer.training = False

    def forward(self, x, data=None) -> dict[str, Any]:
        # A wrapper (e.g. paddle.DataParallel) may have set every flag without calling train().
        if any(self._sub_layers[n].training for n in self.eval_frozen_names):
            self._keep_frozen_in_eval()
        return {name: model(x, data) for name, model in zip(self.model_name_list, self.model_list)}


def _load_pretrained(model: BaseModel, path: str, where: str) -> dict:
    if not isinstance(path, str):
        raise ConfigError(f"{where}.pretrained must be a path, got {path!r}")
    return load_pretrained_weights(model, path)


def sub_models(model) -> dict[str, Any]:
    """Named sub-models of a DistillationModel (empty for a plain model)."""
    names = getattr(model, "model_name_list", None)
    if not names:
        return {}
    return {name: getattr(model, name) if hasattr(model, name) else model.model_list[i]
            for i, name in enumerate(names)}
