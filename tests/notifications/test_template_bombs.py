"""Template bombs (issue 11, finding 4): a merchant's template cannot take the process's memory or time.

Each bomb renders in its own subprocess with an address-space ceiling (RLIMIT_AS, 512 MiB past what the
process already maps), so a bound that fails ends that subprocess with MemoryError instead of taking the
test runner or the machine; the subprocess reports its RSS before rendering and its peak (VmHWM, reset
just before the render) and the test prints both. Before the checked filters, every bomb here ran into
that ceiling (the replace chain took a gunicorn worker from 120 MiB to 3.9 GiB in 10 s).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from liquid import Environment

from integration.db.models import Message, TemplateVersion
from notifications import rendering, templates_store
from notifications.template_limits import RENDER_SECONDS
from tests.conftest import paid_order
from tests.helpers import deliver, drain
from tests.integration.admin.test_messages import Admin, EDITOR, GOOD, _versions
from tests.notifications.test_rendering import full_context

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
PEAK_BUDGET = 50 * MIB
CEILING = 512 * MIB

RUNNER = r'''
import json, resource, sys, time
from notifications import rendering

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

request = json.loads(sys.stdin.read())
rendering.render(rendering.parse("{{ 'warm' | upcase | replace: 'W', 'w' }}", True), {})
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM, so the peak is the render's
except OSError:
    pass
ceiling = status("VmSize") + request["ceiling"]
resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
before, started, answer = status("VmRSS"), time.monotonic(), {}
try:
    rendering.render(rendering.parse(request["source"], request["html"]), request["context"])
    answer["rendered"] = True
except rendering.TemplateError as exc:
    answer.update(error=str(exc), reason=exc.reason, line=exc.line, column=exc.column,
                  limit=isinstance(exc, rendering.TemplateLimitError))
except MemoryError:
    answer["memory_error"] = True
answer.update(seconds=time.monotonic() - started, rss_before=before, peak=status("VmHWM"), rss_after=status("VmRSS"))
print(json.dumps(answer))
'''


def render_in_subprocess(source: str, html: bool = True, context: dict[str, Any] | None = None) -> dict[str, Any]:
    request = {"source": source, "html": html, "context": context or {}, "ceiling": CEILING}
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(request), capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(name: str, answer: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    outcome = answer.get("error") or ("MemoryError at the ceiling" if answer.get("memory_error") else "rendered")
    with capsys.disabled():
        print(f"\n{name}: RSS before {answer['rss_before'] / MIB:.1f} MiB, peak {answer['peak'] / MIB:.1f} MiB "
              f"(+{(answer['peak'] - answer['rss_before']) / MIB:.1f} MiB), after {answer['rss_after'] / MIB:.1f} MiB, "
              f"{answer['seconds']:.3f} s: {outcome}")


def assert_refused_fast_and_small(source: str, answer: dict[str, Any], at: str) -> None:
    """Refused as a limit, quickly, within the memory budget, at a line and column where `at` begins."""
    assert answer.get("limit") is True, answer
    assert answer["seconds"] < 1.0
    assert answer["peak"] - answer["rss_before"] < PEAK_BUDGET
    line = source.split("\n")[answer["line"] - 1]
    assert line[answer["column"] - 1:].startswith(at), (answer, line[answer["column"] - 1:][:40])


def replace_chain(filters: int) -> str:
    return '{{ "a"' + ' | replace: "a", "aaaaaaaaaa"' * filters + " }}"


#: The issue's bomb: 4.5 KB of chained replace filters on the third line of an email body.
REPLACE_BOMB = "<p>Hello {{ customer.first_name }}</p>\n<p>\n" + replace_chain(155) + "\n</p>"

#: A list of one string that doubles on every iteration: `parts.first` is the string, append doubles it and
#: split makes it a list again. The local namespace limit measures a list with sys.getsizeof, which does not
#: count its items, so before the checked filters nothing stopped it.
DOUBLING = '{% assign parts = parts | join: "" | append: parts.first | split: "," %}'
APPEND_LOOP_BOMB = ('{% assign parts = "aaaaaaaaaa" | split: "," %}\n'
                    "{% for i in (1..60) %}\n  " + DOUBLING + "\n{% endfor %}\n{{ parts.first | size }}")
#: The same doubling inside a capture in nested loops: the capture's own text stays empty.
CAPTURE_BOMB = ('{% assign parts = "aaaaaaaaaa" | split: "," %}\n'
                "{% for i in (1..30) %}{% for j in (1..30) %}\n"
                "{% capture junk %}" + DOUBLING + "{% endcapture %}\n"
                "{% endfor %}{% endfor %}{{ parts.first | size }}")
#: split then join with a separator of ten items: tenfold per pair.
SPLIT_JOIN_BOMB = '{{ "a,a,a,a,a,a,a,a,a,a"' + ' | split: "," | join: "a,a,a,a,a,a,a,a,a,a"' * 12 + " | size }}"


def test_replace_chain_bomb_is_refused_with_line_and_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert 4400 <= len(REPLACE_BOMB.encode()) <= 4700
    answer = render_in_subprocess(REPLACE_BOMB, html=True, context={"customer": {"first_name": "Jamie"}})
    report("replace chain (4.5 KB)", answer, capsys)
    assert_refused_fast_and_small(REPLACE_BOMB, answer, "replace")
    assert answer["line"] == 3 and "the limit is 100,000" in answer["reason"]
    sixth = len('{{ "a"') + 5 * len(' | replace: "a", "aaaaaaaaaa"') + len(" | ") + 1
    assert answer["column"] == sixth  # 10**6 characters is where it would pass the limit


def test_append_loop_bomb_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    answer = render_in_subprocess(APPEND_LOOP_BOMB, html=False)
    report("append in a for loop", answer, capsys)
    assert_refused_fast_and_small(APPEND_LOOP_BOMB, answer, "append")
    assert answer["line"] == 3
    inline = '{% for i in (1..1000) %}{{ "x" | append: big | append: big | append: big | size }}{% endfor %}'
    answer = render_in_subprocess(inline, html=False, context={"big": "y" * 40_000})
    report("append of large values in a for loop", answer, capsys)
    assert_refused_fast_and_small(inline, answer, "append")


def test_capture_nested_loop_bomb_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    answer = render_in_subprocess(CAPTURE_BOMB, html=True)
    report("capture in nested loops", answer, capsys)
    assert_refused_fast_and_small(CAPTURE_BOMB, answer, "append")
    assert answer["line"] == 3
    doubling_capture = ("{% capture s %}aaaaaaaaaa{% endcapture %}{% for i in (1..30) %}{% for j in (1..30) %}"
                        "{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{% endfor %}{{ s | size }}")
    answer = render_in_subprocess(doubling_capture, html=True)
    report("capture doubling itself in nested loops", answer, capsys)
    assert_refused_fast_and_small(doubling_capture, answer, "for i")  # the loop it was raised out of
    assert "assign, capture" in answer["reason"]


def test_split_join_amplification_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    answer = render_in_subprocess(SPLIT_JOIN_BOMB, html=False)
    report("split/join amplification", answer, capsys)
    assert_refused_fast_and_small(SPLIT_JOIN_BOMB, answer, "join")
    assert "'join' would make" in answer["reason"]


@pytest.mark.parametrize(("source", "at"), [
    ("{% for i in (1..100000000) reversed %}{{ i }}{% endfor %}", "(1..100000000)"),
    ('{% if (1..100000000000) contains "x" %}y{% endif %}', "(1..100000000000)"),
    ("{{ (1..n) | join: ',' }}", "(1..n)"),
])
def test_huge_ranges_are_refused_before_they_are_made(source: str, at: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    answer = render_in_subprocess(source, html=False, context={"n": 10 ** 12})
    report(f"range {at}", answer, capsys)
    assert_refused_fast_and_small(source, answer, at)


def test_render_time_limit() -> None:
    """Sixty loops of a thousand iterations of a hundred filters stay within every size limit (the old code
    rendered them in 6.5 s on the 2-core test machine); the render stops at its deadline with the reason and
    where it was."""
    busy_loop = "{% for i in (1..1000) %}{% assign x = i" + " | plus: 1" * 100 + " %}{% endfor %}\n"
    template = rendering.parse(busy_loop * 60, html=False)
    started = time.monotonic()
    with pytest.raises(rendering.TemplateLimitError) as info:
        rendering.render(template, {})
    elapsed = time.monotonic() - started
    assert RENDER_SECONDS <= elapsed < RENDER_SECONDS + 1.0
    assert info.value.reason == f"the render took longer than the limit of {RENDER_SECONDS:g} s"
    assert info.value.line is not None and info.value.line > 1 and info.value.column is not None


def test_a_failing_filter_is_a_template_error_at_its_place() -> None:
    """Errors from inside a filter that are not python-liquid's (an odd date) are located, not a crash."""
    with pytest.raises(rendering.TemplateError) as info:
        rendering.render(rendering.parse("x\n{{ when | date: '%Y' }}", html=False),
                         {"when": "9999-12-31T23:59:59-23:00"})
    assert (info.value.line, info.value.column) == (2, 11) and "'date' failed" in info.value.reason
    assert rendering.render(rendering.parse('{{ "1e999999" | money }}|{{ big | money }}', html=False),
                            {"big": "9" * 5000}) == "|"


def test_normal_templates_still_render() -> None:
    """Every shipped default renders exactly as a plain python-liquid Environment renders it (the rendering
    tests check what they say), and loops, captures, splits and joins of a real message's size still work."""
    for path in sorted((rendering.TEMPLATES / "messages").glob("*/*/*.liquid")):
        html, source, context = path.stem == "html", path.read_text(encoding="utf-8"), full_context(path.parent.name)
        plain = Environment(autoescape=html)
        plain.filters.update({"money": rendering.money, "money_with_currency": rendering.money_with_currency,
                              "date": rendering.date, "pluralize": rendering.pluralize})
        assert rendering.render(rendering.parse(source, html), context) == plain.from_string(source).render(**context)
    source = ('{% capture list %}{% for item in items %}{{ item | upcase | append: "," }}{% endfor %}{% endcapture %}'
              '{{ list | split: "," | join: " / " | replace: "A", "a" }} {{ (1..5) | join: "-" }} '
              '{{ 19.99 | times: 3 | money }}')
    assert rendering.render(rendering.parse(source, html=True), {"items": ["ab", "cd"], "_currency": "USD"}) == (
        "aB / CD /  1-2-3-4-5 $59.97")


# --- through the editor and the sending code --------------------------------------------------------

#: On the old code this chain made 10**8 characters (100 MB, answered 200): enough to show the refusal
#: without risking the test runner's memory if the bound ever broke.
EDITOR_BOMB = dict(GOOD, html="<p>Hi</p>\n" + replace_chain(8))


def _rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def test_editor_preview_refuses_bomb_422(app: Any, shop_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    admin = Admin(app)
    assert admin.post(f"{EDITOR}/preview", {"parts": GOOD}).status_code == 200  # warm
    before = _rss()
    answer = admin.post(f"{EDITOR}/preview", {"parts": EDITOR_BOMB})
    after = _rss()
    with capsys.disabled():
        print(f"\neditor preview of a replace chain: the serving process's RSS {before / MIB:.1f} MiB before, "
              f"{after / MIB:.1f} MiB after: {answer.status_code}")
    assert after - before < PEAK_BUDGET
    assert answer.status_code == 422
    body = answer.get_json()
    assert "preview" not in body
    [error] = body["errors"]
    assert (error["part"], error["line"]) == ("html", 2)
    assert EDITOR_BOMB["html"].split("\n")[1][error["column"] - 1:].startswith("replace")
    assert "the limit is 100,000" in error["message"]
    ok = admin.post(f"{EDITOR}/preview", {"parts": GOOD})
    assert ok.status_code == 200 and ok.get_json()["errors"] == []


def test_editor_save_refuses_bomb_422(app: Any, shop_id: int) -> None:
    admin = Admin(app)
    refused = admin.post(f"{EDITOR}/save", {"parts": dict(GOOD, text="Hi\n" + replace_chain(8))})
    assert refused.status_code == 422 and refused.get_json()["saved"] is False
    [error] = refused.get_json()["errors"]
    assert (error["part"], error["line"]) == ("text", 2) and "limit" in error["message"]
    assert _versions(app) == []


def test_a_saved_bomb_ends_its_message_suppressed_with_the_template_error(app: Any, shop_id: int) -> None:
    """A template that got past the editor (an older version, a direct write) is refused where it sends."""
    with app.extensions["aftercare.db"].session() as session:
        templates_store.add_version(session, (shop_id, "order_confirmation", "email", "en"),
                                    dict(GOOD, html=replace_chain(155)), "a direct write")
    deliver(app.test_client(), "orders/create", paid_order())
    drain(app)
    with app.extensions["aftercare.db"].session() as session:
        email = session.query(Message).filter_by(message_type="order_confirmation", channel="email").one()
        assert email.status == "suppressed"
        assert email.reason.startswith("template error: 'replace' would make") and "(line 1, column" in email.reason
        assert session.query(TemplateVersion).count() == 1
