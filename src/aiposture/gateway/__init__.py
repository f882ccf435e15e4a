"""The OpenAI-compatible gateway: authenticate, apply policy, guard, forward, audit.
See docs/gateway.md."""
