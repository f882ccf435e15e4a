"""The `unsafe_output` detector: markup, script and SQL in a model's response that a
downstream renderer or database would execute, and images/links to domains outside
an allowlist (the exfiltration channel). Rules in `data/detect/unsafe_output.yaml`.

It looks at responses only by default: the same markup in a prompt or a retrieved
document is the injection detector's business.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiposture.detect.pattern import PatternDetector
from aiposture.detect.rules import PatternRule, load_builtin_rules
from aiposture.model import Detection, Direction

# Types whose value is a URL checked against the allowlist.
URL_TYPES = frozenset({"MARKDOWN_IMAGE", "HTML_IMAGE", "MARKDOWN_LINK"})
DATA_BOOST = 0.2  # a URL that carries a query string or a long path is a likelier channel


def host_of(url: str) -> str:
    try:
        return (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


class UnsafeOutputDetector(PatternDetector):
    def __init__(self, allowed_domains: list[str] | tuple[str, ...] = (),
                 directions: list[str] | tuple[str, ...] = ("response",)) -> None:
        rules = load_builtin_rules("unsafe_output")
        super().__init__("unsafe_output", rules.rules, mask_keep=12)
        self.allowed_domains = tuple(d.lower().strip(".") for d in allowed_domains)
        self.directions = frozenset(directions)

    def detect(self, text: str, direction: Direction = "response") -> list[Detection]:
        if direction not in self.directions:
            return []
        return super().detect(text, direction)

    def allowed(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _review(self, rule: PatternRule, value: str, score: float, why: dict) -> float | None:
        if rule.type not in URL_TYPES:
            return score
        host = host_of(value)
        if not host or self.allowed(host):
            return None
        why["domain"] = host
        parts = urlsplit(value) if "//" in value else None
        if parts is not None and (len(parts.query) >= 8 or len(parts.path) >= 64):
            why["carries_data"] = True
            score = min(1.0, score + DATA_BOOST)
        return score
