"""From the guard's Verdict to the gateway's decision for one app.

The guard decides with its own policy; an app may override per detector or type
(`block`, `redact` or only `log`, each with a threshold). Redaction and
pseudonymisation work on the detections' spans, so they do not depend on how the
guard renders `redacted`. The data-boundary check looks only at what would still
leave: values that were redacted or pseudonymised no longer count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiposture.gateway.config import SENSITIVITY, AppPolicy, Policy
from aiposture.gateway.pseudonym import Pseudonymizer
from aiposture.model import Detection, Verdict

_RANK = {"allow": 0, "log": 0, "redact": 1, "block": 2}


@dataclass
class Decision:
    action: str  # allow | redact | block
    verdict: Verdict
    text: str  # what may leave (redacted/pseudonymised when action is redact)
    reasons: list[str] = field(default_factory=list)
    policy: str | None = None
    remaining: list[Detection] = field(default_factory=list)  # detections still in `text`

    def summary(self) -> dict:
        """The verdict as the audit log keeps it (detections are already masked)."""
        data = self.verdict.model_dump(mode="json", exclude={"redacted"})
        data.update(action=self.action, policy=self.policy, reason="; ".join(self.reasons) or None)
        return data


def _rule_for(app: AppPolicy, det: Detection):
    return app.detectors.get(det.type) or app.detectors.get(det.detector)


def decide(
    policy: Policy,
    app_name: str,
    app: AppPolicy,
    text: str,
    verdict: Verdict,
    pseudonyms: Pseudonymizer | None,
) -> Decision:
    action, reasons, rule_id = "allow", [], None
    to_redact: list[Detection] = []
    guard_action = verdict.action
    for det in verdict.detections:
        rule = _rule_for(app, det)
        if rule is None:
            det_action = guard_action if guard_action != "allow" else "log"
            source = verdict.policy or policy.id
        elif det.score >= rule.threshold:
            det_action, source = rule.action, f"{policy.id}/apps/{app_name}/{det.type}"
        else:
            continue
        if det_action == "redact":
            to_redact.append(det)
        if _RANK[det_action] > _RANK[action]:
            action, rule_id = det_action, source
        if det_action in ("block", "redact"):
            # the guard's own decisions are explained by its reason; app rules by the detection
            reasons.append(
                verdict.reason or "guard verdict"
                if rule is None
                else f"{det.detector}:{det.type} ({det.score:.2f})"
            )
    if guard_action == "block" and not verdict.detections:
        action, rule_id = "block", verdict.policy or policy.id
        reasons.append(verdict.reason or "blocked by the guard")
    out_text = text
    if action == "redact":
        out_text = redact_spans(text, to_redact, pseudonyms)
    remaining = [d for d in verdict.detections if d not in to_redact]
    return Decision(
        action=action,
        verdict=verdict,
        text=out_text,
        reasons=_dedupe(reasons),
        policy=rule_id,
        remaining=remaining,
    )


def redact_spans(text: str, detections: list[Detection], pseudonyms: Pseudonymizer | None) -> str:
    """Replace each detection's span by a placeholder, right to left so offsets hold."""
    spans = sorted(
        {(d.start, d.end, d.type) for d in detections if 0 <= d.start < d.end <= len(text)}, reverse=True
    )
    last_start = len(text) + 1
    for start, end, type_ in spans:
        if end > last_start:  # overlapping: keep the earlier (outer) replacement
            continue
        value = text[start:end]
        token = pseudonyms.token_for(type_, value) if pseudonyms is not None else f"[{type_}]"
        text = text[:start] + token + text[end:]
        last_start = start
    return text


def sensitivity_of(policy: Policy, detections: list[Detection]) -> str:
    level = 0
    for det in detections:
        label = policy.sensitivity.get(det.type) or policy.sensitivity.get(det.detector)
        if label:
            level = max(level, SENSITIVITY.index(label))
    return SENSITIVITY[level]


def crosses_boundary(
    policy: Policy, app: AppPolicy, detections: list[Detection], external: bool
) -> str | None:
    """The sensitivity that may not go to this upstream, or None when allowed."""
    limit = policy.external_limit(app)
    if not external or limit is None or not detections:
        return None
    level = sensitivity_of(policy, detections)
    return level if SENSITIVITY.index(level) > SENSITIVITY.index(limit) else None


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
