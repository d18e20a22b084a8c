"""The API through the real web server (gunicorn) on loopback: exact quotas under
concurrency, and the guide's examples (docs/api.md) run as written."""

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from defpub.examiners.services import api_key_issue
from defpub.models import ApiKeyUsage, Publication
from search.services import publication_index
from tests.conftest import REPO
from tests.factories import UserFactory
from tests.search.test_api import GEARBOX

pytestmark = pytest.mark.slow  # every test here starts gunicorn


def test_200_concurrent_requests_on_a_key_limited_to_100_let_exactly_100_through(
        api_server, publish):
    row, key = api_key_issue(owner=UserFactory(), office="EPO", name="burst",
                             rate_per_minute=100)
    url = f"{api_server.url}/api/v1/publications/{publish(**GEARBOX).number}"
    start = threading.Barrier(200)

    def call(_):
        request = urllib.request.Request(url, headers={"Authorization": f"Api-Key {key}"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(call, range(200)))

    statuses = [status for status, _ in answers]
    refused = [headers for status, headers in answers if status == 429]
    assert statuses.count(200) == 100
    assert len(refused) == 100
    assert all(1 <= int(h["Retry-After"]) <= 60 for h in refused)
    assert all(h["Content-Type"] == "application/problem+json" for h in refused)
    usage = ApiKeyUsage.objects.get(key=row)
    assert (usage.served, usage.refused) == (100, 100)


# -- docs/api.md ---------------------------------------------------------------------------
FENCE = re.compile(r"^```(\w+)( output)?\n(.*?)^```$", re.M | re.S)
ANY = "…"


def guide_blocks() -> list[tuple[str, str, str | None, str | None]]:
    """(language, code, output language, expected output) for every runnable block."""
    blocks = [(m.group(1), bool(m.group(2)), m.group(3))
              for m in FENCE.finditer((REPO / "docs" / "api.md").read_text())]
    runnable = []
    for i, (language, is_output, code) in enumerate(blocks):
        if is_output or language not in ("sh", "python"):
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) and blocks[i + 1][1] else None
        runnable.append((language, code, after and after[0], after and after[2]))
    return runnable


def matches(expected, actual) -> bool:
    """`expected` is the guide's output: "…" stands for anything, a list ending in "…" for
    these items and perhaps more, and an object for these keys (perhaps among others)."""
    if expected == ANY:
        return True
    if isinstance(expected, str) and ANY in expected and isinstance(actual, str):
        return text_line_matches(expected, actual)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == ANY:
            expected = expected[:-1]
            actual = actual[:len(expected)]
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return expected == actual


def text_line_matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split(ANY))
    return re.fullmatch(pattern, actual.rstrip(), re.S | re.I) is not None


def text_matches(expected: str, actual: str) -> bool:
    """Lines in order; a line that is only "…" stands for any number of lines."""
    want = [line.rstrip() for line in expected.strip().splitlines()]
    have = [line.rstrip() for line in actual.strip().splitlines()]
    pattern = "\n".join(".*" if line == ANY else
                         ".*".join(re.escape(p) for p in line.split(ANY)) for line in want)
    return re.fullmatch(pattern, "\n".join(have), re.S | re.I) is not None


def test_the_guides_examples_run_as_written_and_answer_as_shown(api_server):
    UserFactory(email="examiner@office.example")
    _row, key = api_key_issue(owner=UserFactory(), office="EPO", name="guide")
    year = datetime.now(UTC).year
    env = {**api_server.env, "DEFPUB_KEY": key}
    examples = guide_blocks()
    assert len(examples) >= 10

    for language, code, output_language, expected in examples:
        code = (code.replace("http://localhost:8000", api_server.url)
                .replace(".venv/bin/python", sys.executable)
                .replace("DP-2026-", f"DP-{year}-"))
        argv = ["bash", "-euo", "pipefail", "-c", code] if language == "sh" else \
            [sys.executable, "-c", code]
        run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, f"{code}\n{run.stderr[-3000:]}"
        if "import_disclosures" in code:  # the sample is published: index it
            for publication in Publication.objects.all():
                publication_index(publication_id=publication.pk)
        if expected is None:
            continue
        expected = (expected.replace("http://localhost:8000", api_server.url)
                    .replace("DP-2026-", f"DP-{year}-"))
        if output_language == "json":
            assert matches(json.loads(expected), json.loads(run.stdout)), (code, run.stdout)
        else:
            assert text_matches(expected, run.stdout), (code, run.stdout)
