"""Management commands refuse bad arguments with a message and a non-zero exit status,
before changing anything. (purge_canceled_interactions' own argument checks are in
interactions/tests/test_purge.py.)"""

import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from crm.contacts.models import Contact
from interactions.models import InteractionLogEntry

pytestmark = pytest.mark.django_db


def run(*arguments, tmp_path):
    """The command as from a shell, on a database of its own that must stay untouched."""
    database = tmp_path / "untouched.sqlite3"
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=120,
    ), database


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--entries", "-1"], "--entries cannot be negative."),
        (["--entries", "many"], "argument --entries: invalid int value: 'many'"),
        (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
    ],
)
def test_load_demo_refuses_bad_arguments_and_loads_nothing(arguments, message):
    with pytest.raises(CommandError) as refused:
        call_command("load_demo", *arguments, stdout=io.StringIO())
    assert message in str(refused.value)
    assert not Contact.objects.exists()


def test_load_demo_exits_non_zero_from_the_shell(tmp_path):
    finished, database = run("load_demo", "--entries", "-1", tmp_path=tmp_path)
    assert finished.returncode != 0
    assert "--entries cannot be negative." in finished.stderr
    assert not database.exists()


def test_restore_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore_purged_interactions", str(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize(
    "content",
    [
        "{not json\n",
        "[1, 2, 3]\n",
        json.dumps({"entry_no": "x"}) + "\n",
        "\x00\x01\x02",
        json.dumps({"entry_no": 10**30}) + "\n",
    ],
    ids=["malformed", "not an object", "wrong types", "binary", "huge number"],
)
def test_restore_refuses_a_damaged_file_with_a_message_and_restores_nothing(tmp_path, content):
    archive = tmp_path / "damaged.jsonl"
    archive.write_text(content)
    with pytest.raises(CommandError) as refused:
        call_command("restore_purged_interactions", str(archive), stdout=io.StringIO())
    assert str(refused.value).startswith("Nothing has been restored:")
    assert refused.value.returncode != 0
    assert not InteractionLogEntry.objects.exists()


def test_restore_refuses_a_file_that_is_not_utf8(tmp_path):
    archive = tmp_path / "latin1.jsonl"
    archive.write_bytes(b'{"entry_no": 1, "description": "caf\xe9"}\n')
    with pytest.raises(CommandError):
        call_command("restore_purged_interactions", str(archive), stdout=io.StringIO())
    assert not InteractionLogEntry.objects.exists()


def test_restore_exits_non_zero_from_the_shell(tmp_path):
    archive = tmp_path / "damaged.jsonl"
    archive.write_text("{not json\n")
    finished, _database = run("restore_purged_interactions", str(archive), tmp_path=tmp_path)
    assert finished.returncode != 0
    assert "Nothing has been restored" in finished.stderr


@pytest.mark.parametrize("arguments", [["--before", "2024-02-30"], ["--entry-from", "0"],
                                       ["--contact", "\x00"], ["--batch-size", "-5"]])  # fmt: skip
def test_purge_command_refuses_more_bad_arguments_with_a_message(arguments):
    with pytest.raises(CommandError) as refused:
        call_command("purge_canceled_interactions", *arguments, stdout=io.StringIO())
    assert arguments[0] in str(refused.value) or "There is no contact" in str(refused.value)
