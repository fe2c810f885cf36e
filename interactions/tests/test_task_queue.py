"""The services queue the module's tasks by their registered names, never importing the
tasks module (which imports them): a process that has not imported it yet, such as the web
server, still finds the tasks."""

import os
import subprocess
import sys

from django.conf import settings

FIND_THE_TASKS = """
import sys
import django

django.setup()
import interactions.services.communication.emails, interactions.services.purge.runs, interactions.views.purge

assert "interactions.tasks" not in sys.modules, "imported by the services or the views"
from interactions.services.task_queue import registered_task

for name in ("interactions.tasks.purge_canceled_interactions", "interactions.tasks.deliver_email"):
    task = registered_task(name)
    print(task.name, task.acks_late)
"""


def test_a_process_that_never_imported_the_tasks_finds_them_by_name():
    finished = subprocess.run(
        [sys.executable, "-c", FIND_THE_TASKS],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split("\n")[:2] == [
        "interactions.tasks.purge_canceled_interactions True",
        "interactions.tasks.deliver_email True",
    ]
