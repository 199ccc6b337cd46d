"""Intra-instance collaborative learning block (upstream ``IntraCLBlock``, from I3CL).

Used by the PP-OCRv4 necks (``RSEFPN``/``LKPAN`` with ``intracl: true``): three rounds of
square, vertical and horizontal convolutions over a reduced-width map let a text
instance's features see along its length, then a BN-ReLU'd residual adds them back.
"""

from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError

# (kernel, padding) per branch, round by round: square ``c``, vertical ``v``, horizontal ``q``.
_ROUNDS = (7, 5, 3)


class IntraCLBlock(nn.Layer):
    """``[N, C, H, W]`` → same shape: ``x + relu(bn(relation(x)))``.

    Sub-layer names are upstream's (``conv1x1_reduce_channel``, ``c_layer_7x7``,
    ``v_layer_7x1``, ``q_layer_1x7``, ..., ``conv1x1_return_channel``, ``bn``), so PP-OCRv4
    weights load; state_dict order follows upstream's construction order.

    Args:
        in_channels: channels of the map (``C``).
        reduce_factor: the relation convs run at ``C // reduce_factor`` channels.
    """

    def __init__(self, in_channels: int = 96, reduce_factor: int = 4) -> None:
        super().__init__()
        if not isinstance(reduce_factor, int) or reduce_factor < 1 or in_channels // reduce_factor < 1:
            raise ConfigError(f"IntraCLBlock: reduce_factor must be a positive int <= in_channels "
                              f"({in_channels}), got {reduce_factor!r}")
        self.channels = in_channels
        self.rf = reduce_factor
        mid = in_channels // reduce_factor
        self.conv1x1_reduce_channel = nn.Conv2D(in_channels, mid, 1)
        self.conv1x1_return_channel = nn.Conv2D(mid, in_channels, 1)
        # upstream registers the vertical branches, then the horizontal, then the square ones
        for k in _ROUNDS:
            setattr(self, f"v_layer_{k}x1", nn.Conv2D(mid, mid, (k, 1), padding=(k // 2, 0)))
        for k in _ROUNDS:
            setattr(self, f"q_layer_1x{k}", nn.Conv2D(mid, mid, (1, k), padding=(0, k // 2)))
        for k in _ROUNDS:
            setattr(self, f"c_layer_{k}x{k}", nn.Conv2D(mid, mid, k, padding=k // 2))
        self.bn = nn.BatchNorm2D(in_channels)
        self.relu = nn.ReLU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """``[N, C, H, W]`` → ``[N, C, H, W]`` (any mode)."""
        y = self.conv1x1_reduce_channel(x)
        for k in _ROUNDS:
            y = (getattr(self, f"c_layer_{k}x{k}")(y) + getattr(self, f"v_layer_{k}x1")(y)
                 + getattr(self, f"q_layer_1x{k}")(y))
        return x + self.relu(self.bn(self.conv1x1_return_channel(y)))
