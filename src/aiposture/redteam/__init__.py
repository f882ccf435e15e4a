"""Automated red teaming of AI endpoints (issue 7).

One subpackage per plugin kind (targets, probes, converters, strategies, scorers,
report), each with a `base.py` and one module per family, in the way garak lays
out its plugins; the attacks themselves are data under `aiposture/data/redteam/`.
"""
