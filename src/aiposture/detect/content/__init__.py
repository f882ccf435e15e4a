"""Harmful content: hate, sexual, violence, self-harm (Azure AI Content Safety's four
categories, severities 0/2/4/6) and dangerous instructions (weapons, drugs, malware).

Registry entry: `aiposture.detect.content.ContentDetector` (name "content").
"""

from aiposture.detect.content.detector import ContentDetector

__all__ = ["ContentDetector"]
