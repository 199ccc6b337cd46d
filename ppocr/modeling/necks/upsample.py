"""Nearest-neighbour upsampling by an integer factor, without ``nearest_interp``.

Paddle 3.3's oneDNN predictor cannot run ``nearest_interp`` (its float-array ``scale``
attribute fails with ``ConvertPirAttribute2RuntimeAttribute not support
[pir::ArrayAttribute<pir::DoubleAttribute>]``), so det necks upsample with
unsqueeze/expand/flatten instead. The result equals ``F.upsample(x, scale_factor=factor,
mode="nearest")`` element for element, gradients included, and works with dynamic H/W under
``paddle.jit.to_static`` (``-1`` in ``expand`` keeps a dimension; ``flatten`` needs no sizes).
"""

from __future__ import annotations

import paddle


def upsample_nearest(x: paddle.Tensor, factor: int) -> paddle.Tensor:
    """Repeat every pixel of an NCHW tensor ``factor`` times along H and W.

    Args:
        x: tensor of shape ``[N, C, H, W]``.
        factor: positive integer scale (1 returns ``x`` unchanged).

    Returns:
        Tensor of shape ``[N, C, H * factor, W * factor]``.
    """
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"upsample_nearest: factor must be a positive int, got {factor!r}")
    if len(x.shape) != 4:
        raise ValueError(f"upsample_nearest: expected an NCHW tensor, got shape {list(x.shape)}")
    if factor == 1:
        return x
    # [N, C, H, 1, W, 1] -> [N, C, H, f, W, f] -> [N, C, H*f, W, f] -> [N, C, H*f, W*f]
    y = x.unsqueeze([3, 5]).expand([-1, -1, -1, factor, -1, factor])
    return y.flatten(2, 3).flatten(3, 4)
