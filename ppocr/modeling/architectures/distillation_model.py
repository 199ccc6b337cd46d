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
SUB_MODEL_KEYS = ("pretrained", "freeze_params")


@ARCHITECTURES.register()
class DistillationModel(nn.Layer):
    """Teacher/student sub-models, each a full BaseModel under its config name.

    Sub-layers are named after the ``Models`` keys in config order (``Teacher.backbone...``,
    ``Student.head...``), so checkpoints match upstream's. ``forward`` returns
    ``{name: sub_model_output}``; distillation losses pick outputs by name and key.

    A sub-model section holds BaseModel's keys plus ``pretrained`` (weights loaded right
    after it is built) and ``freeze_params``. A frozen sub-model's parameters get
    ``stop_gradient=True`` and it stays in eval mode (BatchNorm uses its running statistics
    and never updates them) even when the parent is put in training mode. Upstream leaves
    a frozen teacher's BatchNorm in training mode, which keeps drifting its statistics.

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
            self.model_list.append(self.add_sublayer(name, model))
            self.model_name_list.append(name)
        self._keep_frozen_in_eval()

    def train(self, mode: bool = True):
        """Training mode for the trainable sub-models only; frozen ones stay in eval."""
        super().train(mode)
        self._keep_frozen_in_eval()
        return self

    def _keep_frozen_in_eval(self) -> None:
        # Set the flags directly: Layer.eval() would also switch the global tracer to eval.
        for name in self.frozen_names:
            model = self._sub_layers[name]
            model.training = False
            for layer in model.sublayers():
                layer.training = False

    def forward(self, x, data=None) -> dict[str, Any]:
        # A wrapper (e.g. paddle.DataParallel) may have set every flag without calling train().
        if any(self._sub_layers[n].training for n in self.frozen_names):
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
