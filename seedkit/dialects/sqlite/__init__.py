"""SQLite: the dialect (``dialect``), ready copies (``ready``) and the in-place page copy behind a reset (``pages``).

Importing this package imports nothing else: the reset's import-light path loads only the modules it needs.
"""
