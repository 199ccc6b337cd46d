"""Issue 12's benchmark: ours against the peer engines, each in its own process, side by side.

``specs`` (what a row runs), ``venvs`` (scratch venvs for the peers), ``worker_protocol`` +
``worker`` (peer workers, standalone: no ``ppocr`` import) and ``worker_ours``, ``runner`` (the
parent: photos, jobs, processes), ``report`` (aggregation, text agreement, ratios) and ``chart``.
"""
