"""The browser labeller: ``ppocr label IMAGE_DIR`` (the ``[serve]`` extra).

One job per module, importing downwards only:

- ``records``: one box and one label line in PPOCRLabel's formats (``Label.txt``, ``Cache.cach``,
  ``fileState.txt``).
- ``folder``: which files of the folder are images (and why others are skipped); reading an image
  exactly as training's ``DecodeImage`` does, so labels and training share one pixel frame.
- ``journal``: the append-only, fsynced write-ahead log every edit goes through.
- ``storage``: the project (``LabelStore``): PPOCRLabel's files in the image folder, written
  atomically after the journal, replayed at start.
- ``annotator``: pre-labelling and re-recognition on the OCR system.
- ``export`` / ``split``: det labels, rec crops, train/val/test lists.
- ``app``: the FastAPI app; ``static/``: the page (plain HTML/JS/CSS, no build step).
"""
