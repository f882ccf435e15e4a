"""Govern: posture checks and compliance frameworks as data, the posture score, attack
paths, and the assessment that ties them to discovery and the store (docs/posture.md)."""
