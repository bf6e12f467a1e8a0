"""Every shell example in README.md and the check example of docs/api.md runs against a live server started
the README's way, and each answer has the shape documented beside it.

A shell block is cut into steps, one per command; a ``# → …`` line documents the answer of the step
before it: an optional status, then JSON where ``"gr_…"`` means a string starting with ``gr_``,
``"..."`` any string, a trailing ``...`` more fields (or items); everything else, revisions included, is
exact: the demo data is fixed, so a documented revision that drifts is a wrong example. A step
without a ``# →`` line must answer JSON that is not a problem. ``localhost:8000`` becomes the test
server's port; nothing else in an example is changed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_rights import Served, serve_the_readme_way

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
MARK = "@@step@@"
# Blocks that are the README's own set-up commands, not examples against a server: `scripts/run` is
# what the fixture does (setup, then `rights serve`), `scripts/test` is the whole suite itself, and the
# compose stack needs a container engine this machine lacks (tests/deploy/test_stack.py runs the same
# processes with compose's own settings instead).
SETUP_BLOCKS = {"scripts/run", "scripts/test", "docker compose -f deploy/compose.yaml up --build"}


@dataclass
class Step:
    lines: list[str] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)


def fenced(path: Path, *languages: str) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang in languages]


def steps(block: str) -> list[Step]:
    out: list[Step] = []
    current: Step | None = None
    for line in block.splitlines():
        text = line.strip()
        if text.startswith("# →"):
            assert out, f"an answer documented before any command: {text}"
            out[-1].expect.append(text.removeprefix("# →").strip())
        elif not text or text.startswith("#"):
            current = None
        else:
            if current is not None and not _continues(current.lines):
                current = None  # a new command on its own line: its own step
            if current is None:
                current = Step()
                out.append(current)
            current.lines.append(line)
    return out


def _continues(lines: list[str]) -> bool:
    """The command so far goes on: its last line ends with a backslash, or a quote is still open."""
    text = "\n".join(lines)
    return text.rstrip().endswith("\\") or text.count("'") % 2 == 1 or text.count("(") > text.count(")")


OPEN = "…"  # what a "..." in a documented answer becomes: "more fields" in an object, "more items" in a list


def expectation(text: str) -> tuple[int | None, Any]:
    status = None
    if m := re.match(r"(\d{3})\s+(.*)", text):
        status, text = int(m.group(1)), m.group(2)
    text = re.sub(r"(,\s*)?\.\.\.\s*}", f', "{OPEN}": true}}', text)
    text = re.sub(r"(,\s*)?\.\.\.\s*]", f', "{OPEN}"]', text)
    return status, json.loads(text.replace("{, ", "{").replace("[, ", "["))


def matches(expected: Any, actual: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (where, actual)
        fields = {k: v for k, v in expected.items() if k != OPEN}
        missing = set(fields) - set(actual)
        assert not missing, f"{where}: documented fields missing from the answer: {missing}"
        if OPEN not in expected:
            extra = set(actual) - set(fields)
            assert not extra, f"{where}: the answer has undocumented fields {extra} (add them, or '...')"
        for key, value in fields.items():
            matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), (where, actual)
        items = [e for e in expected if e != OPEN]
        assert len(actual) >= len(items) if OPEN in expected else len(actual) == len(items), (where, actual)
        for i, item in enumerate(items):
            matches(item, actual[i], f"{where}[{i}]")
    elif isinstance(expected, str) and "…" in expected:
        assert isinstance(actual, str) and actual.startswith(expected.split("…")[0]), (where, actual)
    elif expected == "...":
        assert isinstance(actual, str) and actual, (where, actual)
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert actual == expected, (where, expected, actual)
    else:
        assert actual == expected, (where, expected, actual)


def is_problem(answer: Any) -> bool:
    return isinstance(answer, dict) and str(answer.get("type", "")).startswith("urn:rights:problem")


def run_block(served: Served, block: str) -> int:
    script = ["set -euo pipefail"]
    plan = steps(block)
    for step in plan:
        script += [*step.lines, f"printf '\\n{MARK}\\n'"]
    code = "\n".join(script).replace("localhost:8000", f"127.0.0.1:{served.port}")
    done = subprocess.run(["bash", "-c", code], env=served.env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (block, done.stderr)
    outputs = done.stdout.split(MARK)[: len(plan)]
    for step, output in zip(plan, outputs, strict=True):
        command, output = "\n".join(step.lines), output.strip()
        if not output:
            assert not step.expect, f"no answer from: {command}"
            continue
        answer = json.loads(output)
        if not step.expect:
            assert not is_problem(answer), (command, answer)
        for text in step.expect:
            status, expected = expectation(text)
            if status is not None:
                assert answer.get("status") == status, (command, answer)
            else:
                assert not is_problem(answer), (command, answer)
            matches(expected, answer, command.splitlines()[0])
    return len(plan)


@pytest.fixture
def served(tmp_path: Path):
    with serve_the_readme_way(tmp_path) as s:
        yield s


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_shell_examples_run_and_answer_as_documented(served: Served) -> None:
    blocks = [body for _, body in fenced(ROOT / "README.md", "sh", "bash", "shell", "console")]
    setup = {b.strip() for b in blocks if b.strip() in SETUP_BLOCKS}
    assert setup == SETUP_BLOCKS, "the README's set-up blocks changed: update SETUP_BLOCKS"
    examples = [b for b in blocks if b.strip() not in SETUP_BLOCKS]
    assert examples, "README.md has no shell example"
    ran = sum(run_block(served, b) for b in examples)
    documented = sum(len(s.expect) for b in examples for s in steps(b))
    assert ran >= 8 and documented >= 5


def test_docs_api_examples_run_and_answer_as_documented(served: Served) -> None:
    """docs/api.md: each ``http`` request, sent as the WSE-loket, answers like the ``json`` block after it."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert not fenced(ROOT / "docs" / "api.md", "sh", "bash", "shell")  # would need running here too
    pairs = re.findall(r"```http\n(.*?)```.*?```json\n(.*?)```", text, re.S)
    assert pairs, "docs/api.md has no http example"
    for request, answer in pairs:
        start, _, body = request.partition("\n")
        method, path = start.split()
        got = httpx.request(method, served.url + path, content=body.strip(), timeout=30, headers={
            "Authorization": f"Bearer {served.tokens['DESK_TOKEN']}", "Content-Type": "application/json"})
        assert got.status_code == 200, got.text
        matches(json.loads(answer), got.json(), start)


def test_expectation_matching_refuses_what_it_must() -> None:
    status, expected = expectation('422 {"code": "invalid_identifier", "message_nl": "...", ...}')
    assert status == 422
    matches(expected, {"code": "invalid_identifier", "message_nl": "Ongeldig", "x": 1})
    with pytest.raises(AssertionError):
        matches(expected, {"code": "invalid_request", "message_nl": "x"})
    _, closed = expectation('{"allowed": true, "grant_id": "gr_…", "revision": 151}')
    matches(closed, {"allowed": True, "grant_id": "gr_12", "revision": 151})
    for wrong in ({"allowed": True, "grant_id": "org_1", "revision": 151},
                  {"allowed": True, "grant_id": "gr_1", "revision": 151, "extra": 1},
                  {"allowed": True, "grant_id": "gr_1"}, {"allowed": True, "grant_id": "gr_1", "revision": 150}):
        with pytest.raises(AssertionError):
            matches(closed, wrong)
    _, listed = expectation('{"items": [{"name": "A", ...}, ...], "suggestions": []}')
    matches(listed, {"items": [{"name": "A", "x": 1}, {"name": "B"}], "suggestions": []})
    for wrong in ({"items": [], "suggestions": []}, {"items": [{"name": "B"}], "suggestions": []},
                  {"items": [{"name": "A"}], "suggestions": ["0723145688"]}):
        with pytest.raises(AssertionError):
            matches(listed, wrong)
    assert [len(s.lines) for s in steps("# a\ncurl a \\\n  b\n# → {}\n\ncurl c\ncurl -d '{\n}'\n")] == [2, 1, 2]
