"""Command implementations behind tools/*.py, deploy/*.py and the ``ppocr`` entry point."""
