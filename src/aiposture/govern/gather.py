"""Gather the Evidence posture checks read: the gateway config and policy (files,
read as plain YAML with the safe loader), the approved-model registry, the latest
audit verification and the red-team runs (from the store).

Files are looked for where people keep them: the paths given on the command line,
else `gateway.yaml` / `policy.yaml` in the assessed folder, its `.aiposture/` and
its first-level folders. A file that cannot be read or parsed is ignored with a note
(the check then says "not assessed"), because a broken policy must not stop a report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.govern.evidence import (
    ApprovedModels,
    AuditEvidence,
    Evidence,
    GatewayEvidence,
    RedteamEvidence,
)
from aiposture.store.database import Store
from aiposture.store.evidence import AUDIT_VERIFY, REDTEAM_RUN, latest_evidence

GATEWAY_NAMES = ("gateway.yaml", "gateway.yml", "aiposture-gateway.yaml")
POLICY_NAMES = ("policy.yaml", "policy.yml", "gateway-policy.yaml")
REGISTRY_NAMES = ("approved-models.yaml", "approved_models.yaml", "model-registry.yaml")
MAX_POLICY_BYTES = 1 << 20


def _read(path: Path, notes: list[str]) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_POLICY_BYTES:
            notes.append(f"{path}: larger than {MAX_POLICY_BYTES} bytes, ignored")
            return None
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        notes.append(f"{path}: unreadable ({exc.__class__.__name__}), ignored")
        return None
    if data is not None and not isinstance(data, dict):
        notes.append(f"{path}: not a YAML mapping ({type(data).__name__}), ignored")
        return None
    return data


def _find(root: Path | None, names: tuple[str, ...]) -> Path | None:
    if root is None or not root.is_dir():
        return None
    candidates = [root / n for n in names] + [root / ".aiposture" / n for n in names]
    try:
        subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        subdirs = []
    candidates += [d / n for d in subdirs[:200] for n in names]
    return next((c for c in candidates if c.is_file()), None)


def _detector_action(apps: dict[str, Any]) -> str:
    """The injection action the policy sets (for '*' or any app), else the guard's
    default policy, which blocks injection."""
    for app in [apps.get("*")] + [v for k, v in sorted(apps.items()) if k != "*"]:
        if not isinstance(app, dict):
            continue
        for name, rule in (app.get("detectors") or {}).items():
            if "injection" in str(name) and isinstance(rule, dict) and rule.get("action"):
                return str(rule["action"])
    return "block"


def _gateway(gw_path: Path | None, policy_path: Path | None, notes: list[str]) -> GatewayEvidence | None:
    gw = _read(gw_path, notes) if gw_path else None
    if gw and policy_path is None and isinstance(gw.get("policy"), str):
        policy_path = (gw_path.parent / gw["policy"]) if gw_path else None
    policy = _read(policy_path, notes) if policy_path and policy_path.is_file() else None
    if gw is None and policy is None:
        return None
    policy = policy or {}
    apps = policy.get("apps") if isinstance(policy.get("apps"), dict) else {}
    principals = policy.get("principals") if isinstance(policy.get("principals"), dict) else {}
    logging = next(
        (
            str(a["content_logging"])
            for a in apps.values()
            if isinstance(a, dict) and a.get("content_logging")
        ),
        "redacted",
    )
    retention = policy.get("retention_days") or ((gw or {}).get("audit") or {}).get("retention_days")
    approvals = policy.get("approvals") if isinstance(policy.get("approvals"), dict) else {}
    tools = approvals.get("tools") if isinstance(approvals.get("tools"), list) else []
    normalised = {
        "content_logging": logging,
        "injection_action": _detector_action(apps),
        "retention_days": retention,
        "policy": policy,
        "gateway": gw or {},
    }
    source = str(policy_path or gw_path)
    return GatewayEvidence(
        source=source,
        raw=normalised,
        apps=frozenset(str(k) for k in [*apps, *principals] if k != "*"),
        approved_models=frozenset(str(m) for m in policy.get("approved_models") or []),
        approval_tools=frozenset(str(t) for t in tools),
        content_logging=logging,
        retention_days=int(retention)
        if isinstance(retention, int | float | str) and str(retention).isdigit()
        else None,
        base_urls=frozenset(str((gw or {}).get(k) or "") for k in ("public_url", "url", "base_url")) - {""},
        config_path=str(gw_path) if gw is not None and gw_path is not None else None,
    )


def _registry(path: Path | None, notes: list[str]) -> ApprovedModels | None:
    data = _read(path, notes) if path else None
    if not data:
        return None
    models = data.get("models") or data.get("approved") or []
    names = {str(m.get("name")) for m in models if isinstance(m, dict) and m.get("name")}
    names |= {str(m) for m in models if isinstance(m, str)}
    hashes = {str(m.get("sha256")).lower() for m in models if isinstance(m, dict) and m.get("sha256")}
    return ApprovedModels(source=str(path), names=frozenset(names), sha256=frozenset(hashes))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _from_store(store: Store, evidence: Evidence, notes: list[str]) -> None:
    try:
        audits = latest_evidence(store, AUDIT_VERIFY, limit=1)
        if audits:
            row = audits[0]
            evidence.audit = AuditEvidence(
                verified_at=_aware(row.at),
                ok=row.passed,
                events=int(row.detail.get("events", 0) or 0),
                detail=str(row.detail.get("error", "")),
            )
        runs = latest_evidence(store, REDTEAM_RUN)
        evidence.redteam = [
            RedteamEvidence(
                target=str(r.detail.get("target", r.subject)),
                app=r.detail.get("app") or r.subject or None,
                passed=r.passed,
                finished=_aware(r.at),
                success_rate=r.detail.get("success_rate"),
            )
            for r in runs
        ]
        evidence.redteam += _redteam_runs(store)
        evidence.redteam_recorded = bool(evidence.redteam)
    except Exception as exc:  # noqa: BLE001 - a broken evidence source must not sink the report
        notes.append(f"store evidence unavailable: {exc.__class__.__name__}")


def _redteam_runs(store: Store) -> list[RedteamEvidence]:
    """Finished runs from the red-team tables, when that part is installed: a run
    passed when its summary says so (`passed`, or a gate that did not trip)."""
    try:
        from aiposture.store.tables_redteam import RedteamRunRow
    except ImportError:
        return []
    out = []
    try:
        with store.session() as s:
            rows = s.execute(
                select(RedteamRunRow)
                .where(RedteamRunRow.finished.is_not(None))
                .order_by(RedteamRunRow.finished.desc())
                .limit(500)
            ).scalars()
            for row in rows:
                summary = row.summary or {}
                passed = summary.get("passed")
                if passed is None and isinstance(summary.get("gate"), dict):
                    passed = not summary["gate"].get("tripped", True)
                rate = summary.get("success_rate", summary.get("asr"))
                if passed is None and not isinstance(rate, int | float):
                    continue
                out.append(
                    RedteamEvidence(
                        target=row.target,
                        app=(row.config or {}).get("app") or None,
                        passed=None if passed is None else bool(passed),
                        finished=_aware(row.finished),
                        success_rate=float(rate) if isinstance(rate, int | float) else None,
                    )
                )
    except SQLAlchemyError:
        return []
    return out


def gather_evidence(
    root: Path | None,
    store: Store | None = None,
    gateway_config: Path | None = None,
    policy: Path | None = None,
    registry: Path | None = None,
    notes: list[str] | None = None,
) -> Evidence:
    notes = notes if notes is not None else []
    scan_root = root if root is not None and root.is_dir() else None
    evidence = Evidence(now=datetime.now(UTC))
    evidence.gateway = _gateway(
        gateway_config or _find(scan_root, GATEWAY_NAMES), policy or _find(scan_root, POLICY_NAMES), notes
    )
    evidence.approved_models = _registry(registry or _find(scan_root, REGISTRY_NAMES), notes)
    if store is not None:
        _from_store(store, evidence, notes)
    return evidence
