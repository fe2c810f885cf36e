"""Messages for the e-mail capture tests, and the set-up they share (a mailbox on the test
Dovecot, the E-mails template, a salesperson and contacts)."""

import email.utils
from email.message import EmailMessage
from email.policy import SMTP

from interactions.models import Mailbox, MailboxKind, MailboxSecurity, PasswordSource

from .dovecot_support import PASSWORD, USER

PASSWORD_VARIABLE = "CRM_TEST_IMAP_PASSWORD"


def build_message(
    *,
    sender: str,
    to: list[str] | str,
    cc: list[str] | tuple = (),
    subject: str = "Quote for 20 chairs",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | tuple = (),
    body: str = "Hello,\n\nplease find the quote below.\n",
    date: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ", ".join([to] if isinstance(to, str) else to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = date or email.utils.formatdate(localtime=True)
    if message_id is not False:
        message["Message-ID"] = message_id or email.utils.make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="big.bin")
    return message.as_bytes()


def bounce_of(*, original_id: str, recipient: str, postmaster: str = "MAILER-DAEMON@mx.example.org") -> bytes:
    """A delivery status notification (RFC 3464) for the message `original_id`, as Postfix
    writes them."""
    boundary = "dsn-boundary-1"
    return (
        f"From: Mail Delivery System <{postmaster}>\r\n"
        "To: crm@ours.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {email.utils.formatdate(localtime=True)}\r\n"
        f"Message-ID: {email.utils.make_msgid(domain='mx.example.org')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system. I'm sorry to have to inform you that your message could not\r\n"
        f"be delivered to {recipient}.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\n"
        f"To: {recipient}\r\n"
        "Subject: Our offer\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


def make_mailbox(dovecot, monkeypatch, *, port: int | None = None, **fields) -> Mailbox:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    values = {
        "name": "Journal",
        "host": "127.0.0.1",
        "port": port or dovecot.port,
        "security": MailboxSecurity.NONE,
        "username": USER,
        "password_source": PasswordSource.ENVIRONMENT,
        "password_reference": PASSWORD_VARIABLE,
        "folder": "INBOX",
        "processed_folder": "CRM-processed",
        "kind": MailboxKind.JOURNAL,
        **fields,
    }
    return Mailbox.objects.create(**values)
