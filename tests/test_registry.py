"""Registry: lookup with scopes, build with parameter checking."""

import pytest

from ppocr.errors import ConfigError, UnknownComponentError
from ppocr.registry import Registry, check_params


def make_registry():
    reg = Registry("widget")

    @reg.register()
    class Plain:
        def __init__(self, size: int, colour: str = "red") -> None:
            self.size, self.colour = size, colour

    @reg.register("Scoped", scopes=("det", "cls"))
    class ScopedDet:
        def __init__(self, in_channels: int = 3) -> None:
            self.in_channels = in_channels

    @reg.register("Scoped", scopes=("rec",))
    class ScopedRec:
        def __init__(self, in_channels: int = 3, scale: float = 0.5) -> None:
            self.in_channels, self.scale = in_channels, scale

    return reg, Plain, ScopedDet, ScopedRec


def test_build_passes_params_and_config_wins_over_injected():
    reg, plain, *_ = make_registry()
    obj = reg.build({"name": "Plain", "size": 3}, colour="blue")
    assert isinstance(obj, plain) and obj.size == 3 and obj.colour == "blue"
    obj = reg.build({"name": "Plain", "size": 3, "colour": "green"}, colour="blue")
    assert obj.colour == "green"


def test_scopes_pick_the_task_specific_class():
    reg, _, det, rec = make_registry()
    assert isinstance(reg.build({"name": "Scoped"}, scope="det"), det)
    assert isinstance(reg.build({"name": "Scoped"}, scope="cls"), det)
    assert isinstance(reg.build({"name": "Scoped", "scale": 1.0}, scope="rec"), rec)


def test_unknown_name_lists_known_names_and_closest_match():
    reg, *_ = make_registry()
    with pytest.raises(UnknownComponentError) as exc:
        reg.build({"name": "Plian", "size": 1})
    msg = str(exc.value)
    assert "unknown widget 'Plian'" in msg and "Plain" in msg and "Did you mean 'Plain'" in msg
    assert isinstance(exc.value, KeyError)


def test_unknown_parameter_names_component_and_parameter():
    reg, *_ = make_registry()
    with pytest.raises(ConfigError, match=r"Head: widget 'Plain' has no parameter 'colur'.*Did you mean 'colour'"):
        reg.build({"name": "Plain", "size": 1, "colur": "x"}, where="Head")


def test_injected_keys_the_component_does_not_take_are_dropped():
    reg, *_ = make_registry()
    obj = reg.build({"name": "Plain", "size": 2}, in_channels=7)
    assert not hasattr(obj, "in_channels")


def test_missing_required_parameter_is_named():
    reg, *_ = make_registry()
    with pytest.raises(ConfigError, match="needs parameter.*size"):
        reg.build({"name": "Plain"})


def test_missing_name_and_non_mapping():
    reg, *_ = make_registry()
    with pytest.raises(ConfigError, match="missing 'name'"):
        reg.build({"size": 1})
    with pytest.raises(ConfigError, match="expected a mapping"):
        reg.build(["Plain"])


def test_global_keys_are_the_only_global_values_taken():
    reg = Registry("op")

    @reg.register()
    class Op:
        global_keys = ("max_text_length",)

        def __init__(self, max_text_length: int = 5, image_shape=None) -> None:
            self.max_text_length, self.image_shape = max_text_length, image_shape

    op = reg.build({"name": "Op"}, global_cfg={"max_text_length": 25, "image_shape": [3, 32, 100]})
    assert op.max_text_length == 25 and op.image_shape is None
    op = reg.build({"name": "Op", "max_text_length": 9}, global_cfg={"max_text_length": 25})
    assert op.max_text_length == 9


def test_duplicate_registration_is_refused():
    reg = Registry("thing")

    @reg.register("X")
    class A:
        pass

    with pytest.raises(ValueError, match="registered twice"):
        @reg.register("X")
        class B:
            pass


def test_check_params_for_functions():
    def maker(out_dir: str, n: int = 1):
        return out_dir, n

    assert check_params(maker, {"out_dir": "a"}, "maker") == {"out_dir": "a"}
    with pytest.raises(ConfigError, match="has no parameter 'm'"):
        check_params(maker, {"out_dir": "a", "m": 2}, "maker")
