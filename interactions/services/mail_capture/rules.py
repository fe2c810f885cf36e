"""The rules of a capture run: the capture settings and the lookups every message of a run
uses, read once a run (`CaptureRules.load`)."""

import dataclasses

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from crm.contacts.models import Salesperson

from ... import conf
from ...models import InteractionTemplate, Mailbox, MailCaptureSettings
from ..communication.automatic_entries import EMAILS_EVENT, setup_template
from .parsing import normalize_email

# --- What the run knows once ------------------------------------------------------------


@dataclasses.dataclass
class CaptureRules:
    """The capture settings and the lookups every message of a run uses, read once a run."""

    mailbox: Mailbox
    template: InteractionTemplate
    internal_domains: frozenset[str]
    never_log: frozenset[str]
    log_mode: str
    match_company_domains: bool
    skip_auto_replies: bool
    attachment_limit: int
    run_id: int | None = None
    _salespeople: dict[int, Salesperson] | None = None

    @classmethod
    def load(cls, mailbox: Mailbox, *, run_id: int | None = None) -> "CaptureRules":
        template = setup_template(EMAILS_EVENT)
        if template is None:
            raise CaptureNotSetUp(
                _(
                    "The interaction template setup has no template for E-mails, so captured messages "
                    "cannot be logged: choose one on the setup page."
                )
            )
        # The template's languages once, not once per entry (services.recording reads them).
        prefetch_related_objects([template], "languages")
        row = MailCaptureSettings.load()
        return cls(
            mailbox=mailbox,
            template=template,
            internal_domains=frozenset(_domain(d) for d in MailCaptureSettings.lines(row.internal_domains)),
            never_log=frozenset(_never_log_item(item) for item in MailCaptureSettings.lines(row.never_log)),
            log_mode=row.log_mode,
            match_company_domains=row.match_company_domains,
            skip_auto_replies=row.skip_auto_replies,
            attachment_limit=conf.settings.MAIL_CAPTURE_ATTACHMENT_LIMIT,
            run_id=run_id,
        )

    def salesperson(self, salesperson_id: int | None) -> Salesperson | None:
        """A salesperson by id, read once a run (there are few)."""
        if salesperson_id is None:
            return None
        if self._salespeople is None:
            self._salespeople = Salesperson.objects.in_bulk()
        return self._salespeople.get(salesperson_id)

    def is_internal(self, address: str, salesperson: Salesperson | None) -> bool:
        return salesperson is not None or _domain_of(address) in self.internal_domains

    def never_logged(self, address: str) -> bool:
        return address in self.never_log or _domain_of(address) in self.never_log


class CaptureNotSetUp(Exception):
    """Nothing can be logged until the setup is completed (the run fails, the messages stay)."""


def _domain(text: str) -> str:
    normal = normalize_email(f"x@{text}")
    return normal.rpartition("@")[2] if normal else text.lower()


def _never_log_item(text: str) -> str:
    if "@" in text:
        return normalize_email(text) or text.lower()
    return _domain(text)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2]
