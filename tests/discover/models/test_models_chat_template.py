"""Chat templates are judged from the Jinja2 AST, never rendered."""

from __future__ import annotations

import pytest

from aiposture.discover.models.chat_template import check_template

BENIGN = [
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}",
    "{% set ns = namespace(system='') %}{% for m in messages %}{% if m.role == 'system' %}"
    "{% set ns.system = m.content %}{% endif %}{% endfor %}{{ ns.system }}",
    "{{ bos_token }}{% for m in messages[1:] %}{{ m.content | trim }}{% if loop.last %}{{ eos_token }}"
    "{% endif %}{% endfor %}",
    "{% if tools %}{{ tools | tojson }}{% endif %}{{ raise_exception('bad role') if false }}",
]
CRITICAL = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ cycler|attr('__init__') }}",
    "{{ x['__globals__'] }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}",
]
SUSPICIOUS = [
    "{{ x|attr('__cla' ~ 'ss__') }}",
    "{{ x[('__cl' + 'ass__')] }}",
    "{% for %}",
    "{{ cycler.reset() }}",
]


@pytest.mark.parametrize("source", BENIGN)
def test_benign(source: str) -> None:
    assert check_template(source) == []


@pytest.mark.parametrize("source", CRITICAL)
def test_reaches_python_internals(source: str) -> None:
    assert any(f.critical for f in check_template(source))


@pytest.mark.parametrize("source", SUSPICIOUS)
def test_suspicious(source: str) -> None:
    findings = check_template(source)
    assert findings
    assert not any(f.critical for f in findings)
