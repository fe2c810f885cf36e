"""Fill the interaction log's summary tables again from the raw log (one transaction)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from interactions.services import summaries


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str; translated when the parser is built
        return _(
            "Rebuild the interaction log's summary tables (statistics, dashboard, contact card, the purge's count) "
            "from the log."
        )

    def handle(self, *args, **options):
        counts = summaries.rebuild()
        self.stdout.write(
            _("Summary tables rebuilt: %(days)s day rows, %(contacts)s contact months, %(companies)s company months.")
            % counts
        )
