"""manage.py restore_purged_interactions PATH: undo a purge from its archive file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interactions.services.purge.archive import ArchiveRefused, restore_purged_interactions


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str; translated when the parser is built
        return _(
            "Bring back the interaction log entries of a purge archive (written by "
            "purge_canceled_interactions --archive), with their numbers, comments and attachments. "
            "The whole file is checked first; entries that exist already refuse it."
        )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help=_("the archive file"))
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help=_(
                "leave out entries that exist already instead of refusing the file (after a purge that was "
                "killed, its last batch may be archived and still present)"
            ),
        )

    def handle(self, *args, path, skip_existing, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": path})
        try:
            result = restore_purged_interactions(path=path, skip_existing=skip_existing)
        except ArchiveRefused as refused:
            raise CommandError(
                _("Nothing has been restored:") + "\n" + "\n".join(f"  {problem}" for problem in refused.problems)
            ) from None
        self.stdout.write(
            ngettext(
                "%(count)d interaction log entry has been restored.",
                "%(count)d interaction log entries have been restored.",
                result.restored,
            )
            % {"count": result.restored}
        )
        if result.skipped_existing:
            self.stdout.write(
                ngettext(
                    "%(count)d entry existed already and was left as it is.",
                    "%(count)d entries existed already and were left as they are.",
                    result.skipped_existing,
                )
                % {"count": result.skipped_existing}
            )
        if result.without_attachment:
            self.stdout.write(
                ngettext(
                    "%(count)d entry was restored without its attachment, which no longer exists.",
                    "%(count)d entries were restored without their attachment, which no longer exists.",
                    result.without_attachment,
                )
                % {"count": result.without_attachment}
            )
