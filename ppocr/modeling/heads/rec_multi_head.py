"""CTC head trained with a guiding attention head (upstream ``MultiHead``, PP-OCRv3/v4).

The CTC branch carries its own neck (``ctc_encoder``: a ``SequenceEncoder``, SVTR in the
shipped configs) and head (``ctc_head``); the guide is ``sar_head`` (``SARHead``, v3) or
``before_gtc`` + ``gtc_head`` (``NRTRHead``, v4). Only the CTC branch runs at eval and export,
so exported models are plain CTC recognisers. Attribute names are upstream's, so checkpoints load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import paddle
import paddle.nn as nn
from paddle.nn.initializer import Constant, TruncatedNormal

from ppocr.errors import ConfigError, DataError
from ppocr.modeling.heads.rec_ctc_head import CTCHead
from ppocr.modeling.heads.rec_nrtr_head import Transformer
from ppocr.modeling.heads.rec_sar_head import SARHead
from ppocr.modeling.necks.sequence_encoder import SequenceEncoder
from ppocr.registry import HEADS, check_params

__all__ = ["MultiHead", "GUIDE_HEADS", "DECODE_NAMES"]

# Branch name in head_list -> key of out_channels_list (upstream's post-process names).
DECODE_NAMES = {"CTCHead": "CTCLabelDecode", "SARHead": "SARLabelDecode", "NRTRHead": "NRTRLabelDecode"}
GUIDE_HEADS = ("SARHead", "NRTRHead")
NRTR_DEFAULTS = {"nrtr_dim": 256, "max_text_length": 25, "num_decoder_layers": 4}


class FCTranspose(nn.Layer):
    """``[N, C, L]`` → ``[N, L, out_channels]`` (transpose, then a bias-free linear layer)."""

    def __init__(self, in_channels: int, out_channels: int, only_transpose: bool = False) -> None:
        super().__init__()
        self.only_transpose = only_transpose
        if not only_transpose:
            self.fc = nn.Linear(in_channels, out_channels, bias_attr=False)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x.transpose([0, 2, 1])
        return x if self.only_transpose else self.fc(x)


class AddPos(nn.Layer):
    """Learned position embedding ``dec_pos_embed`` ``[1, w, dim]`` (trunc-normal init) added to ``[N, L<=w, dim]``."""

    def __init__(self, dim: int, w: int) -> None:
        super().__init__()
        self.dec_pos_embed = self.create_parameter(shape=[1, w, dim], default_initializer=Constant(0.0))
        TruncatedNormal(std=0.02)(self.dec_pos_embed)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return x + self.dec_pos_embed[:, : x.shape[1], :]


def _branches(head_list: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(head_list, (list, tuple)) or not head_list:
        raise ConfigError(f"Head MultiHead.head_list must be a list of {{HeadName: {{...}}}}, got {head_list!r}")
    out = []
    for idx, item in enumerate(head_list):
        if not isinstance(item, Mapping) or len(item) != 1:
            raise ConfigError(f"Head MultiHead.head_list[{idx}]: expected one {{HeadName: {{...}}}}, got {item!r}")
        (name, args), = item.items()
        if name not in DECODE_NAMES:
            raise ConfigError(f"Head MultiHead.head_list[{idx}]: {name!r} is not supported "
                              f"(one of {', '.join(DECODE_NAMES)})")
        if args is not None and not isinstance(args, Mapping):
            raise ConfigError(f"Head MultiHead.head_list[{idx}].{name}: expected a mapping, got {args!r}")
        out.append((name, dict(args or {})))
    names = [n for n, _ in out]
    guides = [n for n in names if n in GUIDE_HEADS]
    if names.count("CTCHead") != 1 or len(guides) != 1 or len(names) != 2:
        raise ConfigError(f"Head MultiHead.head_list must hold one CTCHead and one of "
                          f"{' / '.join(GUIDE_HEADS)}, got {names}")
    return out


@HEADS.register()
class MultiHead(nn.Layer):
    """CTC branch + SAR or NRTR guide.

    Args:
        in_channels: backbone channels (the map ``[N, C, 1, W']``).
        out_channels_list: head widths keyed ``CTCLabelDecode``, ``SARLabelDecode`` /
            ``NRTRLabelDecode``; ``resolve_architecture`` sets them from the dictionary, as
            upstream's train.py (CTC classes n, SAR n + 2, NRTR n + 3).
        head_list: ``[{CTCHead: {Neck: {name: svtr, ...}, Head: {...}}}, {SARHead: {...}} |
            {NRTRHead: {nrtr_dim, max_text_length, num_decoder_layers}}]``. The Neck's
            ``name`` is the SequenceEncoder ``encoder_type``; Head holds CTCHead's parameters.
        use_pool: for a token-sequence backbone ``[N, 3 * W, C]`` (SVTR): reshape to a map and
            average-pool 3x2 first.
        use_pos: add a learned position embedding (80 positions) before the NRTR decoder.
    """

    def __init__(self, in_channels: int, out_channels_list: Mapping[str, int] | None = None,
                 head_list: Sequence[Mapping[str, Any]] | None = None, use_pool: bool = False,
                 use_pos: bool = False) -> None:
        super().__init__()
        branches = _branches(head_list)
        if not isinstance(out_channels_list, Mapping):
            raise ConfigError("Head MultiHead.out_channels_list is missing: it is set from Global.character_dict_path "
                              "by resolve_architecture (keys CTCLabelDecode, SARLabelDecode / NRTRLabelDecode)")
        for name, _ in branches:
            if DECODE_NAMES[name] not in out_channels_list:
                raise ConfigError(f"Head MultiHead.out_channels_list has no {DECODE_NAMES[name]} "
                                  f"(needed by {name}), got {dict(out_channels_list)}")
        self.in_channels = in_channels
        self.use_pool = bool(use_pool)
        self.use_pos = bool(use_pos)
        if self.use_pool:
            self.pool = nn.AvgPool2D(kernel_size=[3, 2], stride=[3, 2], padding=0)
        self.guide = None
        for name, args in branches:  # in head_list order, as upstream registers them
            width = out_channels_list[DECODE_NAMES[name]]
            where = f"Head MultiHead.head_list.{name}"
            if name == "CTCHead":
                self._build_ctc(args, width, where)
            elif name == "SARHead":
                self.guide = "sar"
                kwargs = check_params(SARHead, {"in_channels": in_channels, "out_channels": width, **args},
                                      "SARHead", where)
                self.sar_head = SARHead(**kwargs)
            else:
                self.guide = "nrtr"
                self._build_nrtr(args, width, where)

    def _build_ctc(self, args: dict[str, Any], width: int, where: str) -> None:
        unknown = set(args) - {"Neck", "Head"}
        if unknown or not isinstance(args.get("Neck"), Mapping) or "name" not in args["Neck"]:
            raise ConfigError(f"{where}: expected {{Neck: {{name: svtr, ...}}, Head: {{...}}}}, got {args!r}")
        neck = dict(args["Neck"])
        encoder_type = neck.pop("name")
        kwargs = check_params(SequenceEncoder, {"in_channels": self.in_channels, "encoder_type": encoder_type, **neck},
                              "SequenceEncoder", f"{where}.Neck")
        self.ctc_encoder = SequenceEncoder(**kwargs)
        head = dict(args.get("Head") or {})
        kwargs = check_params(CTCHead, {"in_channels": self.ctc_encoder.out_channels, "out_channels": width, **head},
                              "CTCHead", f"{where}.Head")
        self.ctc_head = CTCHead(**kwargs)

    def _build_nrtr(self, args: dict[str, Any], width: int, where: str) -> None:
        unknown = set(args) - set(NRTR_DEFAULTS)
        if unknown:
            raise ConfigError(f"{where} has no parameter(s) {', '.join(sorted(unknown))}. "
                              f"Valid: {', '.join(NRTR_DEFAULTS)}.")
        cfg = {**NRTR_DEFAULTS, **args}
        dim = cfg["nrtr_dim"]
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 32 or dim % 32:
            raise ConfigError(f"{where}.nrtr_dim must be a positive multiple of 32 (heads = nrtr_dim // 32), got {dim!r}")
        layers = [nn.Flatten(2), FCTranspose(self.in_channels, dim)]
        if self.use_pos:
            layers.append(AddPos(dim, 80))
        self.before_gtc = nn.Sequential(*layers)
        self.gtc_head = Transformer(d_model=dim, nhead=dim // 32, num_encoder_layers=-1, beam_size=-1,
                                    num_decoder_layers=cfg["num_decoder_layers"], max_len=cfg["max_text_length"],
                                    dim_feedforward=dim * 4, out_channels=width)

    def forward(self, x: paddle.Tensor, targets: Sequence[Any] | None = None):
        """Backbone map ``[N, C, 1, W']`` (``[N, 3 W', C]`` with ``use_pool``).

        ``targets`` (training) is the batch after the image, in MultiLabelEncode's KeepKeys
        order: ``[label_ctc, label_sar | label_gtc, length, valid_ratio]``; the guide reads
        ``targets[1:]``.

        - train: ``{"ctc": logits [N, T, n], "ctc_neck": [N, T, dims], "sar": [N, L, n + 1]}``
          or ``{..., "nrtr": [N, max(length) + 1, n + 4]}`` (T = W').
        - eval / export: the CTC branch's softmax probabilities ``[N, T, n]`` only.
        """
        if self.use_pool:
            x = self.pool(x.reshape([0, 3, -1, self.in_channels]).transpose([0, 3, 1, 2]))
        ctc_neck = self.ctc_encoder(x)
        ctc_out = self.ctc_head(ctc_neck, targets)
        if not self.training:
            return ctc_out
        if targets is None or len(targets) < 4:
            raise DataError("MultiHead: training needs the batch [label_ctc, label_sar|label_gtc, length, "
                            "valid_ratio] as targets (KeepKeys order of MultiLabelEncode)")
        head_out = {"ctc": ctc_out, "ctc_neck": ctc_neck}
        if self.guide == "sar":
            head_out["sar"] = self.sar_head(x, list(targets[1:]))
        else:
            head_out["nrtr"] = self.gtc_head(self.before_gtc(x), list(targets[1:]))
        return head_out
