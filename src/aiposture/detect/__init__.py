"""Text detectors: sensitive data, secrets, prompt injection, harmful content, hidden
text and unsafe output. Each returns `Detection`s; the guard turns them into a Verdict.
This layer knows nothing of HTTP, the store or the console."""
