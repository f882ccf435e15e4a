"""Prompt injection and jailbreak detection (direct and indirect).

Registry entry: `aiposture.detect.injection.InjectionDetector` (name "injection").
"""

from aiposture.detect.injection.detector import InjectionDetector

__all__ = ["InjectionDetector"]
