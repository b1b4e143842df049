"""The self-contained HTML session report (see html.py)."""
