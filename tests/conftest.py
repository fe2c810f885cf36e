"""Project-wide tests: the host project and the interactions module together (every URL's
permissions, escaping, hostile input, CSRF, the demo data, commands, the browser). The
host's own tests are under crm/ and run without the module too; the module's own tests are
under interactions/tests/."""

from crm.tests.conftest import _empty_cache, tasks_in_process  # noqa: F401  (the same fixtures here)
