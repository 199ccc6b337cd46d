"""Recognition neck: feature map -> sequence (upstream ``SequenceEncoder``, types reshape/fc/rnn/svtr)."""

from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.errors import ConfigError, DataError
from ppocr.modeling.heads.rec_ctc_head import get_para_bias_attr
from ppocr.modeling.necks.svtr_encoder import EncoderWithSVTR
from ppocr.registry import NECKS

ENCODER_TYPES = ("reshape", "fc", "rnn", "svtr")
# EncoderWithSVTR's parameters, accepted by SequenceEncoder for encoder_type svtr only.
SVTR_KEYS = ("dims", "depth", "hidden_dims", "use_guide", "num_heads", "qkv_bias", "mlp_ratio",
             "drop_rate", "attn_drop_rate", "drop_path", "kernel_size", "qk_scale")


class Im2Seq(nn.Layer):
    """``[N, C, 1, W]`` -> ``[N, W, C]``: the backbone must reduce the height to 1."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.out_channels = in_channels

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """``[N, C, 1, W']`` → ``[N, W', C]`` (any mode); raises DataError if the height is not 1."""
        height = x.shape[2]
        if isinstance(height, int) and height not in (1, -1):
            raise DataError(
                f"SequenceEncoder: the backbone's feature map must have height 1, got {list(x.shape)}; "
                "the input image height does not match the backbone (check RecResizeImg.image_shape)"
            )
        return x.squeeze(axis=2).transpose([0, 2, 1])


class EncoderWithRNN(nn.Layer):
    """Two-layer bidirectional LSTM; output width ``2 * hidden_size``."""

    def __init__(self, in_channels: int, hidden_size: int) -> None:
        super().__init__()
        self.out_channels = hidden_size * 2
        self.lstm = nn.LSTM(in_channels, hidden_size, direction="bidirectional", num_layers=2)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """``[N, T, in_channels]`` → ``[N, T, 2 * hidden_size]`` (forward | backward; any mode)."""
        x, _ = self.lstm(x)
        return x


class EncoderWithFC(nn.Layer):
    """One linear projection to ``hidden_size`` (L2 decay 1e-5, as upstream)."""

    def __init__(self, in_channels: int, hidden_size: int) -> None:
        super().__init__()
        self.out_channels = hidden_size
        weight_attr, bias_attr = get_para_bias_attr(l2_decay=0.00001, k=in_channels)
        self.fc = nn.Linear(in_channels, hidden_size, weight_attr=weight_attr, bias_attr=bias_attr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """``[N, T, in_channels]`` → ``[N, T, hidden_size]`` (any mode)."""
        return self.fc(x)


@NECKS.register()
class SequenceEncoder(nn.Layer):
    """Reshape the ``[N, C, 1, W]`` map to ``[N, W, C]`` and optionally encode it.

    Sub-layer names are upstream's (``encoder_reshape``, ``encoder``, ``encoder.lstm``,
    ``encoder.fc``, ``encoder.conv1``/``svtr_block``/...) so PP-OCR recognition weights load.
    ``svtr`` encodes the 2-D map first and reshapes after, as upstream.

    Args:
        in_channels: backbone channels.
        encoder_type: ``reshape`` (no parameters), ``fc``, ``rnn`` or ``svtr``.
        hidden_size: fc width, or LSTM hidden size per direction (unused by ``svtr``).
        dims, depth, hidden_dims, use_guide, num_heads, qkv_bias, mlp_ratio, drop_rate,
            attn_drop_rate, drop_path, kernel_size, qk_scale: ``EncoderWithSVTR``'s parameters
            (upstream passes them through ``**kwargs``); only for ``svtr``, unset means
            EncoderWithSVTR's default.
    """

    def __init__(self, in_channels: int, encoder_type: str, hidden_size: int = 48, dims: int | None = None,
                 depth: int | None = None, hidden_dims: int | None = None, use_guide: bool | None = None,
                 num_heads: int | None = None, qkv_bias: bool | None = None, mlp_ratio: float | None = None,
                 drop_rate: float | None = None, attn_drop_rate: float | None = None,
                 drop_path: float | None = None, kernel_size: list[int] | None = None,
                 qk_scale: float | None = None) -> None:
        super().__init__()
        if encoder_type not in ENCODER_TYPES:
            raise ConfigError(
                f"Neck SequenceEncoder.encoder_type must be one of {', '.join(ENCODER_TYPES)}, got {encoder_type!r}"
            )
        if isinstance(hidden_size, bool) or not isinstance(hidden_size, int) or hidden_size < 1:
            raise ConfigError(f"Neck SequenceEncoder.hidden_size must be a positive int, got {hidden_size!r}")
        values = dict(zip(SVTR_KEYS, (dims, depth, hidden_dims, use_guide, num_heads, qkv_bias, mlp_ratio,
                                      drop_rate, attn_drop_rate, drop_path, kernel_size, qk_scale)))
        svtr_args = {k: v for k, v in values.items() if v is not None}
        if svtr_args and encoder_type != "svtr":
            raise ConfigError(f"Neck SequenceEncoder: {', '.join(svtr_args)} only apply to encoder_type svtr, "
                              f"not {encoder_type!r}")
        self.encoder_type = encoder_type
        self.encoder_reshape = Im2Seq(in_channels)
        self.only_reshape = encoder_type == "reshape"
        self.out_channels = in_channels
        if encoder_type == "fc":
            self.encoder = EncoderWithFC(in_channels, hidden_size)
        elif encoder_type == "rnn":
            self.encoder = EncoderWithRNN(in_channels, hidden_size)
        elif encoder_type == "svtr":
            self.encoder = EncoderWithSVTR(in_channels, **svtr_args)
        if not self.only_reshape:
            self.out_channels = self.encoder.out_channels

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Backbone map ``[N, C, 1, W']`` → sequence ``[N, T, out_channels]``, T = W'.

        W' is the backbone's output width: W/4 of the input image for MobileNetV1Enhance
        and the rec MobileNetV3 with default strides (32x320 → T = 80), W/8 for the v3/v4
        backbones (48x320 → T = 40). ``out_channels`` is C (``reshape``), ``hidden_size``
        (``fc``), ``2 * hidden_size`` (``rnn``) or ``dims`` (``svtr``). Same in train, eval and
        export.
        """
        if self.encoder_type == "svtr":
            return self.encoder_reshape(self.encoder(x))
        x = self.encoder_reshape(x)
        if not self.only_reshape:
            x = self.encoder(x)
        return x
