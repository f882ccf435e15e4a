"""The tamper-evident audit trail: hash-chained events, signed seals, verification,
retention, export and search. See docs/audit.md."""
