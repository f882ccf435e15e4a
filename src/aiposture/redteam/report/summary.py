"""From attempts to a RunReport: per probe (is the weakness there: did any attempt
get through, and the attack success rate), per category and overall, each mapped to
OWASP LLM 2025 and MITRE ATLAS; and the `--fail-on-asr` gate."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from aiposture.errors import InputError
from aiposture.redteam.model import AttemptResult
from aiposture.redteam.probes.base import CATEGORIES, Probe


class Tally(BaseModel):
    attempts: int = 0
    successes: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def asr(self) -> float:
        return self.successes / self.attempts if self.attempts else 0.0

    def add(self, attempt: AttemptResult) -> None:
        if attempt.status == "error":
            self.errors += 1
        elif attempt.status == "skipped":
            self.skipped += 1
        else:
            self.attempts += 1
            self.successes += int(attempt.success)


class ProbeSummary(BaseModel):
    probe: str
    title: str
    goal: str
    category: str
    severity: str
    frameworks: dict[str, list[str]]
    remediation: str = ""
    tally: Tally = Field(default_factory=Tally)
    asr: float = 0.0
    vulnerable: bool = False
    evidence: list[str] = Field(default_factory=list)


class RunReport(BaseModel):
    run_id: str
    target: str
    seed: int
    started: datetime
    finished: datetime
    requests: int = 0
    overall: Tally = Field(default_factory=Tally)
    asr: float = 0.0
    categories: dict[str, Tally] = Field(default_factory=dict)
    probes: list[ProbeSummary] = Field(default_factory=list)
    attempts: list[AttemptResult] = Field(default_factory=list)
    gate: list[str] = Field(default_factory=list)

    def __repr__(self) -> str:  # asyncio may repr a finished task's result: keep it short
        return f"RunReport({self.run_id!r}, {len(self.attempts)} attempts, asr={self.asr:.3f})"

    @property
    def duration_s(self) -> float:
        return (self.finished - self.started).total_seconds()

    def category_asr(self) -> dict[str, float]:
        return {k: v.asr for k, v in self.categories.items()}


def summarise(
    run_id: str,
    target: str,
    seed: int,
    probes: list[Probe],
    attempts: list[AttemptResult],
    started: datetime,
    finished: datetime,
    requests: int = 0,
) -> RunReport:
    by_id = {
        p.id: ProbeSummary(
            probe=p.id,
            title=p.title,
            goal=p.goal,
            category=p.category,
            severity=p.severity.value,
            frameworks=p.frameworks,
            remediation=p.remediation,
        )
        for p in probes
    }
    report = RunReport(
        run_id=run_id,
        target=target,
        seed=seed,
        started=started,
        finished=finished,
        requests=requests,
        attempts=attempts,
    )
    for attempt in attempts:
        summary = by_id.get(attempt.probe)
        if summary is None:
            continue
        summary.tally.add(attempt)
        report.overall.add(attempt)
        report.categories.setdefault(attempt.category, Tally()).add(attempt)
        if attempt.success and len(summary.evidence) < 3:
            why = "; ".join(r.detail for r in attempt.reasons if r.hit)
            via = "+".join(attempt.converters) or "plain"
            summary.evidence.append(f"prompt #{attempt.prompt_index} ({via}, {attempt.strategy}): {why}")
    for summary in by_id.values():
        summary.asr = summary.tally.asr
        summary.vulnerable = summary.tally.successes > 0
    report.probes = [s for s in by_id.values() if s.tally.attempts or s.tally.errors or s.tally.skipped]
    report.asr = report.overall.asr
    return report


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    """`0.1` -> {"*": 0.1}; `jailbreak=0.2` -> {"jailbreak": 0.2}. Comma lists allowed."""
    out: dict[str, float] = {}
    for spec in (s.strip() for raw in specs for s in raw.split(",")):
        if not spec:
            continue
        key, _, value = spec.rpartition("=")
        key = key.strip() or "*"
        if key != "*" and key not in CATEGORIES:
            raise InputError(f"--fail-on-asr: unknown category {key!r} (one of {', '.join(CATEGORIES)})")
        try:
            threshold = float(value)
        except ValueError as exc:
            raise InputError(f"--fail-on-asr: {value!r} is not a number") from exc
        if not 0.0 <= threshold <= 1.0:
            raise InputError("--fail-on-asr: a rate between 0 and 1")
        out[key] = threshold
    return out


def check_gate(report: RunReport, thresholds: dict[str, float]) -> list[str]:
    """Messages for every threshold the run's attack success rate exceeds."""
    failures = []
    for key, limit in thresholds.items():
        rate = report.asr if key == "*" else report.categories.get(key, Tally()).asr
        if rate > limit:
            label = "overall" if key == "*" else key
            failures.append(f"{label} attack success rate {rate:.1%} > {limit:.1%}")
    report.gate = failures
    return failures
