from __future__ import annotations

from pathlib import Path

import pytest

from aiposture.audit.trail import AuditTrail
from aiposture.store.database import Store


def _make_records(n: int, start: int = 0) -> list[dict]:
    apps = ["support-bot", "hr-assistant", "code-helper"]
    out = []
    for i in range(start, start + n):
        blocked = i % 7 == 0
        out.append(
            {
                "principal": f"svc-{i % 3}",
                "end_user": f"user{i % 5}@contoso.com",
                "app": apps[i % 3],
                "model": "gpt-4o-mini" if i % 2 else "claude-3-haiku",
                "direction": "prompt",
                "verdict": {
                    "action": "block" if blocked else "allow",
                    "risk": 0.9 if blocked else 0.0,
                    "scores": {"injection": 0.97} if blocked else {},
                    "detections": [{"detector": "injection", "type": "INSTRUCTION_OVERRIDE"}]
                    if blocked
                    else [],
                    "policy": "default" if blocked else None,
                },
                "data": {
                    "route": "/v1/chat/completions",
                    "status": 403 if blocked else 200,
                    "latency_ms": 1.5,
                    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
                    "prompt": f"request number {i}",
                },
            }
        )
    return out


@pytest.fixture
def trail(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    t = AuditTrail(store, tmp_path / "audit.key")
    yield t
    t.close()
    store.close()


@pytest.fixture
def make_records():
    return _make_records
