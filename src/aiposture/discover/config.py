"""The config scanner: .env files, Dockerfiles and generic config files (YAML, JSON, TOML,
INI, .properties) read as text, for what they say about AI use: endpoints (AI service
URLs and variables such as OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, OLLAMA_HOST), model
ids and Azure deployment names, and API keys (secret findings, value masked).

Files are read line by line as `key = value` / `key: value` / `"key": "value"` rather than
parsed, so one pass serves every format and a malformed file still yields its keys.
Cloud resources in IaC files are the IaC scanner's; this scanner emits no resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import re2

from aiposture.discover.agents import classify as classify_agent_file
from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.endpoints import EndpointRef, endpoint_asset, endpoint_findings, endpoint_matcher
from aiposture.discover.model_refs import model_asset, model_matcher
from aiposture.discover.secret_findings import report_secrets
from aiposture.discover.textsite import TextSite

CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties",
                             ".env", ".tfvars"})
# Lock files and generated dependency data: large, and never hold endpoints or keys.
EXCLUDED_NAMES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock",
                            "composer.lock", "cargo.lock", "pipfile.lock", "poetry.lock"})
# A key (optionally quoted) and its value, matched from the key's first character.
_PAIR = (r"""["']?([A-Za-z_][\w.-]{0,80})["']?[ \t]*[:=][ \t]*["']?([^"'\s#,}]{1,300})""")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MAX_KEY_HITS = 2_000  # keyword hits read per file: bounds a file that repeats "model" a million times
WINDOW = 400  # characters after a keyword hit that its key = value pair may span


@cache
def _pair() -> re2._Regexp:
    return re2.compile(_PAIR)


@cache
def _keywords() -> re2._Regexp:
    """Words a line must hold to be worth reading: endpoint variable names, model, deployment."""
    words = sorted(endpoint_matcher().variables) + ["model", "deployment"]
    return re2.compile("(?i)" + "|".join(re2.escape(w) for w in words))


class ConfigScanner:
    name = "config"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        lowered = name.lower()
        if lowered.startswith(".env") or lowered == "dockerfile" or lowered.endswith(".dockerfile"):
            return True
        if suffix not in CONFIG_SUFFIXES or lowered in EXCLUDED_NAMES:
            return False
        # MCP client configs belong to the agents scanner, which reports their secrets
        # itself; reading them here too would report each key twice.
        return classify_agent_file(rel, name) != "mcp"

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        text = source.text()
        if text is None:
            out.skip(source.rel, "config: binary or not UTF-8")
            return
        scan_config(TextSite(source.rel, text), out)


def scan_config(site: TextSite, out: ScanOutput) -> None:
    report_secrets(site, out, in_code=False)
    seen: set[str] = set()
    matcher = model_matcher()
    for key, value, offset in config_pairs(site.text):
        ref = endpoint_matcher().from_variable(key, value, offset)
        if ref is not None:
            _endpoint(site, ref, seen, out)
        else:
            model = matcher.keyword_ref(key, value, offset)
            if model is not None:
                out.asset(model_asset(model, site.loc(offset)))
    for ref in endpoint_matcher().find_urls(site.text):
        _endpoint(site, ref, seen, out)


def config_pairs(text: str) -> Iterator[tuple[str, str, int]]:
    """(key, value, value offset) of each `key = value` / `key: value` / `"key": "value"` whose
    key holds a keyword (one line or minified JSON alike); a Kubernetes-style `- name: KEY`
    followed by `value: V` is read as the pair KEY, V. Only the text around keyword hits
    is matched, so ordinary config costs one RE2 pass."""
    consumed = -1
    for count, hit in enumerate(_keywords().finditer(text)):
        if count >= MAX_KEY_HITS:
            return
        if hit.start() < consumed:
            continue
        start = _key_start(text, hit.start())
        match = _pair().match(text[start:hit.end() + WINDOW])
        if match is not None and start + match.end(1) >= hit.end():
            consumed = start + match.end()
            yield match.group(1), match.group(2), start + match.start(2)
            continue
        pair = _named_env(text, start, hit.end())
        if pair is not None:
            consumed = pair[2]
            yield pair


def _key_start(text: str, offset: int) -> int:
    """Start of the key a keyword hit lies in (at most 80 characters back)."""
    start = offset
    while start > 0 and offset - start < 80 and text[start - 1] in _KEY_CHARS:
        start -= 1
    return start


def _named_env(text: str, start: int, end: int) -> tuple[str, str, int] | None:
    """`- name: KEY` then `value: V` on the next line (Kubernetes, compose, CI env lists)."""
    line_start = text.rfind("\n", max(0, start - 200), start) + 1
    if text[line_start:start].strip().strip("\"'").rstrip().rstrip(":").strip().lstrip("- ") != "name":
        return None
    key_end = end
    while key_end < len(text) and text[key_end] in _KEY_CHARS:
        key_end += 1
    key = text[start:key_end]
    next_start = _line_end(text, key_end) + 1
    following = _pair().match(text[next_start:_line_end(text, next_start)].lstrip(" \t-"))
    if following is None or following.group(1) != "value":
        return None
    indent = len(text[next_start:_line_end(text, next_start)]) - len(
        text[next_start:_line_end(text, next_start)].lstrip(" \t-"))
    return key, following.group(2), next_start + indent + following.start(2)


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end


def _endpoint(site: TextSite, ref: EndpointRef, seen: set[str], out: ScanOutput) -> None:
    if ref.url in seen:
        return
    seen.add(ref.url)
    location = site.loc(ref.offset)
    asset = out.asset(endpoint_asset(ref, location))
    for finding in endpoint_findings(ref, asset, location, site.where(ref.offset)):
        out.finding(finding)
