"""Queueing the module's Celery tasks from services, by their registered names.

The tasks (interactions/tasks.py) call the services, so the services never import the
tasks: a service that hands work to a worker looks the task up in the Celery app by its
name, which is public interface anyway (celery beat schedules it by that name). A worker
registers the tasks when it starts (the project's Celery app autodiscovers the `tasks`
module of every installed app); any other process asks the app to do the same the first
time it looks a task up. Without a broker (CELERY_BROKER_URL unset, task_always_eager)
`apply_async` runs the task in this process, as it always does.
"""

from typing import Any

import redis
from celery import current_app
from celery.app.task import Task
from celery.result import AsyncResult
from django.core.exceptions import ImproperlyConfigured
from kombu.exceptions import OperationalError as BrokerOperationalError

# Queueing failed because the broker could not be reached.
BROKER_UNREACHABLE = (BrokerOperationalError, redis.exceptions.ConnectionError)
# Fail fast instead of keeping a page waiting for a broker that is down: one more try
# after 0.2 s. With the connect timeout of the settings (1 s) a page waits about 2 s at
# worst for a Redis host that does not answer at all, and not at all for a refused one.
FAIL_FAST = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.2}


def registered_task(name: str) -> Task:
    """The task registered under `name` in the current Celery app."""
    app = current_app._get_current_object()
    if name not in app.tasks:
        app.loader.import_default_modules()  # autodiscovery, as a worker does when it starts
    try:
        return app.tasks[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"The Celery task {name} is not registered: the project's Celery app must discover "
            "the tasks of its installed apps (app.autodiscover_tasks())."
        ) from None


def queue_task(
    name: str,
    *,
    args: tuple | list = (),
    kwargs: dict[str, Any] | None = None,
    queue: str | None = None,
    task_id: str | None = None,
) -> AsyncResult:
    """Queue task `name` (on `queue`, else the default queue), failing fast: raises one of
    BROKER_UNREACHABLE when the broker cannot be reached. Runs it at once in-process when
    tasks run eagerly (an EagerResult then).

    The result backend is never asked (ignore_result): what a task achieves is kept in the
    database, and subscribing to a result backend that is down is what kept a page waiting
    for about 19 seconds before answering 500 (Celery retries the result store 20 times).
    """
    options: dict[str, Any] = {"queue": queue} if queue else {}
    return registered_task(name).apply_async(
        args=args, kwargs=kwargs or {}, task_id=task_id, retry_policy=FAIL_FAST, ignore_result=True, **options
    )
