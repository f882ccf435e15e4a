"""The guard: run the registered detectors on one text and decide by policy.

`Guard(policy).check(text, direction) -> Verdict`. A policy (YAML, `Policy` below;
the shipped default is `data/policies/default.yaml`) names the detectors to run with
their options, and an ordered list of rules — detector, types, directions, score
threshold, action, redaction style. For each detection the first matching rule
decides its action; the verdict's action is the strongest of them
(block > redact > allow), `policy` the id of the rule that decided it, `reason` a
sentence without the sensitive value, and `redacted` the text with every span whose
rule said `redact` replaced (mask, `<TYPE>` placeholder or restorable
`<TYPE_n>` pseudonym).

Failures are never silent: a detector that cannot be built is reported in
`Guard.unavailable` (or raises, with `on_unavailable: error`) and named in each
reason; one that raises while scanning makes the verdict follow `on_error`
(block by default) with policy `guard.detector-error`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aiposture.detect.base import TextDetector
from aiposture.detect.redact import Pseudonymizer, Redaction, redact
from aiposture.detect.registry import DetectorUnavailable, create_many
from aiposture.detect.rules import first_error
from aiposture.errors import InputError
from aiposture.model import Action, Detection, Direction, Verdict
from aiposture.shipped import load_data_yaml

ACTION_RANK: dict[str, int] = {"allow": 0, "redact": 1, "block": 2}
DIRECTIONS: tuple[Direction, ...] = ("prompt", "response", "document")


class PolicyRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    detector: str = "*"
    types: list[str] = Field(default_factory=lambda: ["*"])
    directions: list[Direction] = Field(default_factory=lambda: list(DIRECTIONS))
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    action: Action
    redaction: Redaction | None = None

    def matches(self, detection: Detection, direction: Direction) -> bool:
        return (self.detector in ("*", detection.detector)
                and ("*" in self.types or detection.type in self.types)
                and direction in self.directions
                and detection.score >= self.threshold)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: int = 1
    description: str = ""
    detectors: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    rules: list[PolicyRule] = Field(default_factory=list)
    default_action: Action = "allow"
    redaction: Redaction = "pseudonym"
    max_text_chars: int = Field(default=1_000_000, ge=1)
    on_oversize: Literal["block", "truncate"] = "block"
    on_error: Literal["block", "allow"] = "block"
    on_unavailable: Literal["error", "warn"] = "warn"

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Policy:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        return self

    def detector_options(self, base: Path | None = None) -> dict[str, dict[str, Any]]:
        """Options per detector, with a relative `path` resolved against `base`."""
        out: dict[str, dict[str, Any]] = {}
        for name, options in self.detectors.items():
            opts = dict(options or {})
            path = opts.get("path")
            if base is not None and isinstance(path, str) and not Path(path).is_absolute():
                opts["path"] = str(base / path)
            out[name] = opts
        return out


def _parse_policy(raw: Any, source: str) -> Policy:
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{source}: invalid policy {first_error(exc)}") from None


def load_policy(path: str | Path | None = None) -> tuple[Policy, Path | None]:
    """The policy in `path` (YAML), or the shipped default; with the folder that
    relative paths in it are resolved against."""
    if path is None:
        return _parse_policy(load_data_yaml("policies", "default.yaml"), "data/policies/default.yaml"), None
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read policy {p}: {exc}") from None
    return _parse_policy(raw, str(p)), p.parent


class Guard:
    """Detectors + policy. Build once, call `check` many times (thread-safe: no state
    is kept between calls except an explicit `Pseudonymizer` the caller passes)."""

    def __init__(self, policy: Policy | str | Path | None = None,
                 detectors: list[TextDetector] | None = None) -> None:
        base: Path | None = None
        if not isinstance(policy, Policy):
            policy, base = load_policy(policy)
        self.policy = policy
        self.unavailable: dict[str, str] = {}
        if detectors is None:
            selection = policy.detector_options(base) if policy.detectors else None
            detectors, self.unavailable = create_many(selection)
            if self.unavailable and policy.on_unavailable == "error":
                raise DetectorUnavailable("; ".join(self.unavailable.values()))
        self.detectors = list(detectors)
        self._note = (f"detectors not run: {', '.join(sorted(self.unavailable))}"
                      if self.unavailable else None)

    # -- public API ---------------------------------------------------------------------

    def check(self, text: str, direction: Direction = "prompt",
              pseudonymizer: Pseudonymizer | None = None, skip: Collection[str] = ()) -> Verdict:
        """Scan `text` and decide. Pass a `Pseudonymizer` to keep pseudonyms stable
        across calls (one per conversation) and to `restore` the answer later; `skip`
        names detectors not to run on this text (the gateway skips `injection` on an
        app's own system prompt)."""
        if direction not in DIRECTIONS:
            raise InputError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        text = _well_formed(text or "")
        notes = [self._note] if self._note else []
        limit = self.policy.max_text_chars
        if len(text) > limit:
            if self.policy.on_oversize == "block":
                return Verdict(action="block", risk=1.0, policy="guard.oversize", reason=_join(
                    [f"text of {len(text)} characters exceeds the limit of {limit} (max_text_chars); "
                     "not scanned"] + notes))
            notes.insert(0, f"only the first {limit} of {len(text)} characters were scanned")
            text = text[:limit]
        detections, scores, errors = self._run(text, direction, frozenset(skip))
        return self._decide(text, direction, detections, scores, errors, notes, pseudonymizer)

    def pseudonymize(self, text: str, direction: Direction = "prompt",
                     pseudonymizer: Pseudonymizer | None = None) -> tuple[Verdict, Pseudonymizer]:
        """`check` with a pseudonymizer (a new one if None) returned for `restore`."""
        pseudo = pseudonymizer if pseudonymizer is not None else Pseudonymizer()
        return self.check(text, direction, pseudo), pseudo

    @staticmethod
    def restore(text: str, pseudonymizer: Pseudonymizer) -> str:
        """Put the original values back where a model's answer repeats the tokens."""
        return pseudonymizer.restore(text)

    # -- internals ----------------------------------------------------------------------

    def _run(self, text: str, direction: Direction, skip: frozenset[str] = frozenset()
             ) -> tuple[list[Detection], dict[str, float], dict[str, str]]:
        detections: list[Detection] = []
        scores: dict[str, float] = {}
        errors: dict[str, str] = {}
        for detector in self.detectors:
            if detector.name in skip:
                continue
            try:
                found = detector.detect(text, direction)
            except Exception as exc:  # surfaced in the verdict, never swallowed
                errors[detector.name] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            detections.extend(found)
            scores[detector.name] = max((d.score for d in found), default=0.0)
        return detections, scores, errors

    def _decide(self, text: str, direction: Direction, detections: list[Detection],
                scores: dict[str, float], errors: dict[str, str], notes: list[str],
                pseudonymizer: Pseudonymizer | None) -> Verdict:
        action: str = self.policy.default_action
        deciding = None
        decided: list[tuple[Detection, PolicyRule]] = []
        for det in detections:
            rule = next((r for r in self.policy.rules if r.matches(det, direction)), None)
            if rule is None:
                continue
            decided.append((det, rule))
            if ACTION_RANK[rule.action] > ACTION_RANK[action] or deciding is None and rule.action == action:
                action, deciding = rule.action, rule
        policy_id = deciding.id if deciding else None
        reasons = [_reason(action, deciding, decided)] if deciding and action != "allow" else []
        if errors:
            reasons.append("detector failed: " + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())))
            if self.policy.on_error == "block":
                action, policy_id = "block", "guard.detector-error"
        redacted = None
        if action == "redact":
            spans = [(d.start, d.end, d.type, r.redaction or self.policy.redaction)
                     for d, r in decided if r.action == "redact"]
            redacted = redact(text, spans, pseudonymizer)
        if notes and policy_id is None and any(n.startswith("only the first") for n in notes):
            policy_id = "guard.truncated"
        return Verdict(action=action, risk=round(max(scores.values(), default=0.0), 4), scores=scores,
                       detections=sorted(detections, key=lambda d: (d.start, d.end)),
                       redacted=redacted, policy=policy_id, reason=_join(reasons + notes))


def _reason(action: str, rule: PolicyRule, decided: list[tuple[Detection, PolicyRule]]) -> str:
    """E.g. "blocked by rule block-secrets: secrets OPENAI_API_KEY (score 0.97, rule
    SEC-OPENAI-API-KEY)" — types, scores and rule ids only, never the value."""
    verb = {"block": "blocked", "redact": "redacted", "allow": "allowed"}[action]
    hits = [d for d, r in decided if r.action == action]
    top = max(hits, key=lambda d: d.score)
    kinds = sorted({f"{d.detector} {d.type}" for d in hits})
    why = f"{top.detector} {top.type} (score {top.score:.2f}"
    if top.explanation.get("rule"):
        why += f", rule {top.explanation['rule']}"
    why += ")"
    more = f"; {len(hits)} detections: {', '.join(kinds[:6])}" if len(hits) > 1 else ""
    return f"{verb} by rule {rule.id}: {why}{more}"


def _well_formed(text: str) -> str:
    """Lone surrogates (JSON allows "\\ud800") cannot be encoded as UTF-8: each becomes
    "?", one character for one, so offsets still point into the caller's text."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _join(parts: list[str]) -> str | None:
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else None
