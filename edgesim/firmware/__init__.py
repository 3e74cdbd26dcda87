"""Cortex-M4 firmware: building app images (build.py) and reading their size (size.py)."""
