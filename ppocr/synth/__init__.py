"""Synthetic text renderer: the embedded default data.

No dataset can be downloaded in every setting, so the quick start trains on text rendered on the
fly with the bundled fonts. ``ensure_*_dataset`` (re)builds a dataset only when needed.
"""

from ppocr.synth.cls_data import ensure_cls_dataset, make_cls_dataset
from ppocr.synth.det_data import ensure_det_dataset, make_det_dataset
from ppocr.synth.preview import make_preview
from ppocr.synth.rec_data import ensure_rec_dataset, make_rec_dataset

__all__ = [
    "ensure_cls_dataset",
    "ensure_det_dataset",
    "ensure_rec_dataset",
    "make_cls_dataset",
    "make_det_dataset",
    "make_preview",
    "make_rec_dataset",
]
