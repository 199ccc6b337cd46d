"""Decorator registries: every buildable component kind has one.

Names in configs resolve here (never through ``eval``). Building checks the config's
parameters against the component's signature, so a typo is an error naming the
component and the parameter instead of a silently ignored key.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ppocr.errors import ConfigError, UnknownComponentError

__all__ = [
    "Registry",
    "import_submodules",
    "ARCHITECTURES",
    "BACKBONES",
    "NECKS",
    "HEADS",
    "LOSSES",
    "POSTPROCESS",
    "METRICS",
    "TRANSFORMS",
    "DATASETS",
    "OPTIMIZERS",
    "LR_SCHEDULERS",
    "REGULARIZERS",
]


def _closest(name: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" Did you mean '{match[0]}'?" if match else ""


class Registry:
    """Maps config names to classes (or factories) of one component kind.

    A component may be registered under several scopes: backbone names collide
    across tasks upstream (the det and rec ``MobileNetV3`` differ), so the backbone
    registry is looked up with the architecture's ``model_type`` as scope.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[tuple[str | None, str], Callable[..., Any]] = {}

    def register(
        self, name: str | None = None, *, scopes: Iterable[str | None] = (None,)
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Class decorator; ``name`` defaults to the class name."""

        def deco(obj: Callable[..., Any]) -> Callable[..., Any]:
            key_name = name or obj.__name__
            for scope in scopes:
                key = (scope, key_name)
                if key in self._items and self._items[key] is not obj:
                    raise ValueError(
                        f"{self.kind} '{key_name}' (scope {scope}) is registered twice: "
                        f"{self._items[key]} and {obj}"
                    )
                self._items[key] = obj
            return obj

        return deco

    def names(self, scope: str | None = None) -> list[str]:
        """Names visible in ``scope`` (scoped entries plus unscoped ones)."""
        return sorted({n for (s, n) in self._items if s is None or s == scope})

    def __contains__(self, name: str) -> bool:
        return any(n == name for (_, n) in self._items)

    def get(self, name: str, scope: str | None = None) -> Callable[..., Any]:
        if not isinstance(name, str):
            raise ConfigError(f"{self.kind} name must be a string, got {name!r}")
        for key in ((scope, name), (None, name)):
            if key in self._items:
                return self._items[key]
        where = f" for model_type '{scope}'" if scope else ""
        known = self.names(scope)
        raise UnknownComponentError(
            f"unknown {self.kind} '{name}'{where}. Known: {', '.join(known)}."
            + _closest(name, known)
        )

    def build(
        self,
        cfg: Mapping[str, Any],
        *,
        scope: str | None = None,
        where: str | None = None,
        global_cfg: Mapping[str, Any] | None = None,
        **injected: Any,
    ) -> Any:
        """Build from ``{'name': X, **params}``.

        ``injected`` are values the code supplies (e.g. ``in_channels`` from the previous
        stage); the config's own values win over them. A component that needs Global
        settings lists them in a ``global_keys`` class attribute; only those are taken
        from ``global_cfg`` (upstream merges all of Global into every component).
        ``where`` names the config section in error messages.
        """
        if not isinstance(cfg, Mapping):
            raise ConfigError(f"{where or self.kind}: expected a mapping with 'name', got {cfg!r}")
        if "name" not in cfg:
            raise ConfigError(f"{where or self.kind}: missing 'name' (one of {', '.join(self.names(scope))})")
        params = {k: v for k, v in cfg.items() if k != "name"}
        factory = self.get(cfg["name"], scope)
        for key in getattr(factory, "global_keys", ()):
            if global_cfg and key in global_cfg and key not in injected:
                injected[key] = global_cfg[key]
        kwargs = check_params(factory, {**injected, **params}, f"{self.kind} '{cfg['name']}'", where,
                              injected_keys=set(injected))
        return factory(**kwargs)


def check_params(
    factory: Callable[..., Any],
    params: dict[str, Any],
    label: str,
    where: str | None = None,
    injected_keys: set[str] | None = None,
) -> dict[str, Any]:
    """Reject unknown and missing parameters with a message naming them.

    Injected keys the component does not accept are dropped quietly (the code offers
    them to every component of a kind); config keys are never dropped.
    """
    injected_keys = injected_keys or set()
    target = factory.__init__ if inspect.isclass(factory) else factory
    sig = inspect.signature(target)
    accepted = {
        p.name: p
        for p in sig.parameters.values()
        if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    takes_var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    prefix = f"{where}: " if where else ""
    kwargs: dict[str, Any] = {}
    for key, value in params.items():
        if key in accepted or takes_var_kw:
            kwargs[key] = value
        elif key in injected_keys:
            continue
        else:
            raise ConfigError(
                f"{prefix}{label} has no parameter '{key}'. Valid: {', '.join(accepted) or '(none)'}."
                + _closest(key, accepted)
            )
    missing = [
        n for n, p in accepted.items() if p.default is inspect.Parameter.empty and n not in kwargs
    ]
    if missing:
        raise ConfigError(f"{prefix}{label} needs parameter(s): {', '.join(missing)}")
    return kwargs


def import_submodules(package_name: str) -> None:
    """Import every module of a package so that their decorators register them."""
    package = importlib.import_module(package_name)
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package_name}.{info.name}")


ARCHITECTURES = Registry("architecture")
BACKBONES = Registry("backbone")
NECKS = Registry("neck")
HEADS = Registry("head")
LOSSES = Registry("loss")
POSTPROCESS = Registry("postprocess")
METRICS = Registry("metric")
TRANSFORMS = Registry("transform")
DATASETS = Registry("dataset")
OPTIMIZERS = Registry("optimizer")
LR_SCHEDULERS = Registry("lr schedule")
REGULARIZERS = Registry("regularizer")
