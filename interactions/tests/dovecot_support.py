"""A private Dovecot IMAP server for tests and the benchmark: its own process, its own
configuration in a temporary folder (listening on 127.0.0.1 on a free port, a test user in a
passwd-file, a maildir in the folder, no SSL, no system service), stopped at the end.

`.ci/run` installs Debian's dovecot-imapd; without it the tests that need it skip locally
and fail under REQUIRE_SERVICES=1 (`need()` of the root conftest.py).
"""

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "capture"
PASSWORD = "capture-secret"


def dovecot_installed() -> bool:
    return os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """One running Dovecot with one user (USER / PASSWORD)."""

    def __init__(self, *, port: int | None = None):
        # Its own folder under the system's temporary folder, traversable by Dovecot's
        # unprivileged processes (pytest's temporary folders are private to the user).
        self.root = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
        os.chmod(self.root, 0o711)
        # A fixed port when asked (CRM_TEST_DOVECOT_PORT: several checkouts on one machine,
        # each in its own range; each pytest-xdist worker one port further); else a free one.
        self.wanted_port = port or int(os.environ.get("CRM_TEST_DOVECOT_PORT") or 0)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        if self.wanted_port and not port and worker.startswith("gw") and worker[2:].isdigit():
            self.wanted_port += int(worker[2:])
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / USER

    def start(self) -> "Dovecot":
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = self.wanted_port or free_port()
        if os.getuid() == 0:
            # Dovecot runs its login and internal processes unprivileged, and no mail as root.
            internal, login, mail = "dovecot", "dovenull", pwd.getpwnam("dovecot")
        else:
            me = pwd.getpwuid(os.getuid())
            internal = login = me.pw_name
            mail = me
        (self.root / "run").mkdir(exist_ok=True)
        self.maildir.mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{mail.pw_uid}:{mail.pw_gid}::{self.maildir}::\n", encoding="utf-8"
        )
        (self.root / "dovecot.conf").write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/run
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
instance_name = crm-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {pwd.getpwnam(internal).pw_name if internal != "dovecot" else "dovecot"}
default_login_user = {login}
first_valid_uid = {mail.pw_uid}
last_valid_uid = {mail.pw_uid}
first_valid_gid = 0
mail_location = maildir:{self.maildir}
mail_uid = {mail.pw_uid}
mail_gid = {mail.pw_gid}
mail_max_userip_connections = 100
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.root}/users
}}
userdb {{
  driver = passwd-file
  args = {self.root}/users
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
""",
            encoding="utf-8",
        )
        if os.getuid() == 0:
            for path in (self.root / "mail", self.maildir):
                os.chown(path, mail.pw_uid, mail.pw_gid)
            os.chmod(self.root, 0o755)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot did not start: {self.process.stderr.read().decode(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("Dovecot did not listen within 30 s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- What tests do with it ---

    def client(self, *, port: int | None = None) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", port or self.port, timeout=30)
        connection.login(USER, PASSWORD)
        return connection

    def append(self, raw: bytes, *, folder: str = "INBOX") -> None:
        connection = self.client()
        try:
            connection.create(_quote(folder))
            status, data = connection.append(_quote(folder), None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {data}")
        finally:
            connection.logout()

    def append_many(self, messages, *, folder: str = "INBOX") -> None:
        connection = self.client()
        try:
            connection.create(_quote(folder))
            for raw in messages:
                status, data = connection.append(_quote(folder), None, None, raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data}")
        finally:
            connection.logout()

    def count(self, folder: str = "INBOX") -> int:
        connection = self.client()
        try:
            status, data = connection.select(_quote(folder), readonly=True)
            if status != "OK":
                return 0
            return int(data[0])
        finally:
            connection.logout()

    def empty(self) -> None:
        """Every folder emptied and removed but INBOX (between tests)."""
        connection = self.client()
        try:
            status, folders = connection.list()
            names = []
            for line in folders or ():
                name = line.decode().rsplit(' "/" ', 1)[-1].strip().strip('"')
                names.append(name)
            for name in names:
                status, data = connection.select(_quote(name))
                if status == "OK" and int(data[0] or 0):
                    connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                    connection.expunge()
                connection.close()
                if name.upper() != "INBOX":
                    connection.delete(_quote(name))
        finally:
            connection.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
