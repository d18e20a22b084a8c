"""The files operators and CI rely on stay valid."""

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_compose_file_is_accepted_by_docker_compose():
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    result = subprocess.run([compose, "-f", "compose.yaml", "config", "-q"], cwd=REPO,
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line for line in (REPO / ".ci/run").read_text().splitlines()
                if line and not re.match(r"^(#|set |cd )", line)]
    readme = (REPO / "README.md").read_text()
    assert ci_lines == ["bin/defpub test"]
    assert "bin/defpub test" in readme and "bin/defpub run" in readme


def test_code_passes_ruff():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_chinese_translations_are_complete_and_compiled():
    import gettext

    import polib

    po_path = REPO / "locale/zh_Hans/LC_MESSAGES/django.po"
    catalog = gettext.GNUTranslations((po_path.with_suffix(".mo")).open("rb"))
    entries = [e for e in polib.pofile(str(po_path)) if not e.obsolete]
    assert entries
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        if entry.msgid_plural:  # Chinese has one plural form
            assert entry.msgstr_plural.get(0), entry.msgid
            assert catalog.ngettext(entry.msgid, entry.msgid_plural, 2) == \
                entry.msgstr_plural[0], f"stale .mo for {entry.msgid!r}"
        else:
            assert entry.msgstr, entry.msgid
            shown = (catalog.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                     else catalog.gettext(entry.msgid))
            assert shown == entry.msgstr, f"stale .mo for {entry.msgid!r}"
