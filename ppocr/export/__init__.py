"""Static-graph export (``paddle.jit.to_static``) and its checks: the logic behind tools/export_model.py.

``exporter`` writes ``inference.json``/``.pdiparams``/``inference.yml``; ``spec`` gives each
model type's input spec and image shape; ``verify`` compares an export with dygraph;
``extract`` takes one sub-model's weights out of a distillation checkpoint.
"""
