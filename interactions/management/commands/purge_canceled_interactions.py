"""manage.py purge_canceled_interactions: delete canceled interaction log entries.

Translates the command line into a PurgeFilter and calls the purge service; every
argument is checked before anything is deleted.
"""

import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.contacts.models import Campaign, Salesperson
from crm.contacts.selectors import contact_by_number
from interactions.models import InteractionGroup, InteractionTemplate
from interactions.services.purge.service import (
    MAX_BATCH_SIZE,
    PurgeFilter,
    deleted_message,
    purge_canceled_interactions,
)

PROGRESS_BAR_WIDTH = 30


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str; translated when the parser is built
        return _(
            "Delete canceled interaction log entries (only canceled ones), with their comments and the "
            "attachments no other entry uses. Filters narrow them down; --archive keeps a file from which "
            "restore_purged_interactions brings them back."
        )

    def add_arguments(self, parser):
        filters = parser.add_argument_group(_("filters (all optional, combined)"))
        filters.add_argument("--after", metavar="YYYY-MM-DD", help=_("only entries dated after this day"))
        filters.add_argument("--before", metavar="YYYY-MM-DD", help=_("only entries dated before this day"))
        filters.add_argument("--contact", metavar="NUMBER", help=_("only entries of this contact"))
        filters.add_argument("--template", metavar="CODE", help=_("only entries of this interaction template"))
        filters.add_argument("--group", metavar="CODE", help=_("only entries of this interaction group"))
        filters.add_argument("--salesperson", metavar="CODE", help=_("only entries of this salesperson"))
        filters.add_argument("--campaign", metavar="NUMBER", help=_("only entries of this campaign"))
        filters.add_argument("--entry-from", metavar="N", help=_("only entries numbered N or higher"))
        filters.add_argument("--entry-to", metavar="N", help=_("only entries numbered N or lower"))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("count the entries that would be deleted, delete nothing"),
        )
        parser.add_argument(
            "--batch-size",
            metavar="N",
            help=_("entries deleted per transaction (default: setting INTERACTIONS_PURGE_BATCH_SIZE)"),
        )
        parser.add_argument(
            "--archive",
            metavar="PATH",
            help=_("first write the deleted entries to this new file (JSON Lines)"),
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=_("do not ask for confirmation on a terminal"),
        )

    def handle(self, *args, **options):
        # Everything is checked before anything is deleted.
        filters = PurgeFilter(
            entry_from=_entry_number(options["entry_from"], "--entry-from"),
            entry_to=_entry_number(options["entry_to"], "--entry-to"),
            date_from=_day_after(_date(options["after"], "--after")),
            date_to=_day_before(_date(options["before"], "--before")),
            contact_id=_contact_id(options["contact"]),
            template_id=_resolve(
                InteractionTemplate, "code", options["template"], _("There is no interaction template %(value)s.")
            ),
            group_id=_resolve(
                InteractionGroup, "code", options["group"], _("There is no interaction group %(value)s.")
            ),
            salesperson_id=_resolve(
                Salesperson, "code", options["salesperson"], _("There is no salesperson %(value)s.")
            ),
            campaign_id=_resolve(Campaign, "number", options["campaign"], _("There is no campaign %(value)s.")),
        )
        if filters.entry_from and filters.entry_to and filters.entry_from > filters.entry_to:
            raise CommandError(_("--entry-from cannot be greater than --entry-to."))
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise CommandError(_("No day is both after --after and before --before."))
        batch_size = _batch_size(options["batch_size"])
        archive = options["archive"] and Path(options["archive"])
        dry_run = options["dry_run"]

        if dry_run:
            count = purge_canceled_interactions(filters=filters, batch_size=batch_size, dry_run=True)
            self.stdout.write(
                ngettext(
                    "%(count)d interaction log entry would be deleted.",
                    "%(count)d interaction log entries would be deleted.",
                    count,
                )
                % {"count": count}
            )
            return
        if options["interactive"] and sys.stdin.isatty() and not self._confirmed(filters, batch_size):
            self.stdout.write(_("Nothing has been deleted."))
            return
        if archive:
            _create_archive(archive)

        on_terminal = self.stdout.isatty()
        progress = {"deleted": 0}

        def on_batch(deleted: int, total: int) -> None:
            progress["deleted"] = deleted
            if on_terminal:
                self._draw_progress_bar(deleted, total)

        try:
            deleted = purge_canceled_interactions(
                filters=filters, batch_size=batch_size, archive_path=archive, on_batch=on_batch
            )
        except KeyboardInterrupt:
            # The batch in progress rolled back; the batches before it are done.
            self.stdout.write("")
            raise CommandError(
                _("Interrupted. %(done)s") % {"done": deleted_message(progress["deleted"])}, returncode=130
            ) from None
        if on_terminal and deleted:
            self.stdout.write("")  # end the progress bar's line
        self.stdout.write(deleted_message(deleted))
        if archive and deleted:
            self.stdout.write(
                _("They are archived in %(path)s; restore_purged_interactions %(path)s brings them back.")
                % {"path": archive}
            )

    def _confirmed(self, filters: PurgeFilter, batch_size: int) -> bool:
        count = purge_canceled_interactions(filters=filters, batch_size=batch_size, dry_run=True)
        if not count:
            return True
        question = ngettext(
            "%(count)d canceled interaction log entry will be deleted. Type 'yes' to continue: ",
            "%(count)d canceled interaction log entries will be deleted. Type 'yes' to continue: ",
            count,
        ) % {"count": count}
        return input(question).strip().lower() == "yes"

    def _draw_progress_bar(self, deleted: int, total: int) -> None:
        done = PROGRESS_BAR_WIDTH * min(deleted, total) // total if total else PROGRESS_BAR_WIDTH
        bar = "#" * done + "." * (PROGRESS_BAR_WIDTH - done)
        self.stdout.write(f"\r[{bar}] {deleted}/{total}", ending="")
        self.stdout.flush()


def _date(value, option: str) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise CommandError(
            _("%(option)s: %(value)s is not a date; write it as YYYY-MM-DD.") % {"option": option, "value": value}
        ) from None


def _day_after(day: datetime.date | None) -> datetime.date | None:
    return day + datetime.timedelta(days=1) if day else None


def _day_before(day: datetime.date | None) -> datetime.date | None:
    return day - datetime.timedelta(days=1) if day else None


def _entry_number(value, option: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise CommandError(_("%(option)s: %(value)s is not an entry number.") % {"option": option, "value": value})
    return number


def _batch_size(value) -> int | None:
    if value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise CommandError(
            _("--batch-size: %(value)s is not a number from 1 to %(max)d.") % {"value": value, "max": MAX_BATCH_SIZE}
        )
    return size


def _contact_id(value: str | None) -> int | None:
    """The id of the contact whose number is `value`, typed as on the pages (any case)."""
    if value is None:
        return None
    contact = contact_by_number(value)
    if contact is None:
        shown = str(value).strip().replace("\x00", "\\0")
        raise CommandError(_("There is no contact %(value)s.") % {"value": shown or "''"})
    return contact.pk


def _resolve(model: type[models.Model], field: str, value: str | None, unknown: str) -> int | None:
    """The id of the row whose `field` is `value` (exactly, else ignoring case)."""
    if value is None:
        return None
    value = str(value).strip()
    if "\x00" in value:  # no code holds one, and PostgreSQL refuses it in a query
        raise CommandError(unknown % {"value": value.replace("\x00", "\\0")})
    for lookup in (field, f"{field}__iexact"):
        ids = list(model._default_manager.filter(**{lookup: value}).values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return ids[0]
    raise CommandError(unknown % {"value": value or "''"})


def _create_archive(path: Path) -> None:
    """A new file: one archive per purge, so that restoring it brings back just that purge."""
    try:
        path.open("xb").close()
    except FileExistsError:
        raise CommandError(_("--archive: %(path)s exists already; name a new file.") % {"path": path}) from None
    except OSError as error:
        raise CommandError(
            _("--archive: %(path)s cannot be created: %(error)s") % {"path": path, "error": error.strerror}
        ) from None
