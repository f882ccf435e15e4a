"""aiposture: an open-source, self-hosted AI security posture platform."""

__version__ = "0.1.0"
