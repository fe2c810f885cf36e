"""The rules of the house that `make check` enforces: each gate passes on the tree as it is
and fails when a violation is planted in a copy of it.

The copy holds the two packages and the gates' configuration, so the real tree is never
touched; a planted module imports what its contract forbids."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COPIED = ["crm", "interactions", "bench", "manage.py", "conftest.py", ".importlinter", "ruff.toml"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    copy = tmp_path_factory.mktemp("tree")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        else:
            shutil.copy(source, copy / name)
    return copy


def run(tree: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "PYTHONPATH": str(tree)},
    )


def plant(tree: Path, relative: str, text: str):
    path = tree / relative
    path.write_text(text)
    return path


def test_the_gates_pass_on_the_tree_as_it_is(tree):
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["lint-imports"]):
        result = run(tree, *command)
        assert result.returncode == 0, result.stdout + result.stderr


PLANTED_IMPORTS = {
    "the host imports the module": (
        {"crm/contacts/planted.py": "import interactions.models  # noqa: F401\n"},
        "The host project (crm) never imports the interactions module",
    ),
    "contacts import documents": (
        {"crm/contacts/planted.py": "import crm.documents.models  # noqa: F401\n"},
        "Dependencies point one way",
    ),
    "a service imports a view": (
        {"interactions/services/planted.py": "import interactions.views.log  # noqa: F401\n"},
        "Within the module",
    ),
    "a selector imports a service": (
        {"interactions/selectors/planted.py": "import interactions.services.recording  # noqa: F401\n"},
        "Within the module",
    ),
    "a service imports a form": (
        {"interactions/services/planted.py": "import interactions.forms.setup  # noqa: F401\n"},
        "Within the module",
    ),
    "a service imports a task": (
        {"interactions/services/planted.py": "import interactions.tasks  # noqa: F401\n"},
        "Within the module",
    ),
    "two sibling modules import each other": (
        {
            "interactions/models/planted_a.py": "from . import planted_b  # noqa: F401\n",
            "interactions/models/planted_b.py": "from . import planted_a  # noqa: F401\n",
        },
        "No import cycles",
    ),
}


@pytest.mark.parametrize("case", PLANTED_IMPORTS, ids=list(PLANTED_IMPORTS))
def test_lint_imports_fails_on_a_planted_violation_of_each_contract(tree, case):
    files, contract = PLANTED_IMPORTS[case]
    planted = [plant(tree, name, text) for name, text in files.items()]
    try:
        result = run(tree, "lint-imports")
    finally:
        for path in planted:
            path.unlink()
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout


def test_ruff_check_fails_on_an_undefined_name(tree):
    # The kind of fault that once answered 500: ngettext called without being imported.
    path = plant(tree, "interactions/forms/planted.py", 'def message(count):\n    return ngettext("a", "b", count)\n')
    try:
        result = run(tree, "ruff", "check", ".")
    finally:
        path.unlink()
    assert result.returncode != 0 and "F821" in result.stdout


def test_ruff_format_check_fails_on_an_unformatted_file(tree):
    path = plant(tree, "interactions/forms/planted.py", "x = {'a':1}\n")
    try:
        result = run(tree, "ruff", "format", "--check", ".")
    finally:
        path.unlink()
    assert result.returncode != 0 and "planted.py" in result.stdout
