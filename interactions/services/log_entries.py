"""Changes to recorded interaction log entries: cancel and restore, evaluate, comment.
Entries are never edited away; each change here is one UPDATE or INSERT statement."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Evaluation, InteractionComment, InteractionLogEntry, LoggedSegment
from ..permissions import CANCEL, COMMENT, EVALUATE, require_may_see_entry, require_permission
from ..selectors.log import hidden_entry_numbers
from . import summaries, webhooks


@dataclass(frozen=True)
class CancelResult:
    changed: list[int] = field(default_factory=list)
    # Entries whose logged segment is canceled: they can be restored only with the segment.
    refused: list[int] = field(default_factory=list)
    # Postponed interactions: not in the log yet, so neither canceled nor restored.
    postponed: list[int] = field(default_factory=list)


def _entry_numbers(entry_numbers) -> list[int]:
    return sorted({int(number) for number in entry_numbers})


def _postponed(numbers: list[int]) -> list[int]:
    return sorted(InteractionLogEntry.objects.filter(entry_no__in=numbers, postponed=True).values_list("pk", flat=True))


def require_may_see_entries(*, entry_numbers, user) -> None:
    """Refuse (PermissionDenied) a selection that holds another user's postponed
    interaction (the owner rule, `permissions.may_see_entry`): nothing of it is done."""
    hidden = hidden_entry_numbers(entry_numbers, user=user)
    if hidden:
        raise PermissionDenied(
            ngettext(
                "Interaction %(numbers)s is another user's postponed interaction: "
                "only that user and sales managers see it.",
                "Interactions %(numbers)s are other users' postponed interactions: "
                "only their users and sales managers see them.",
                len(hidden),
            )
            % {"numbers": ", ".join(str(number) for number in hidden)}
        )


@transaction.atomic
def cancel_entries(*, entry_numbers, user) -> CancelResult:
    """Switch canceled on; records who did it and when. Already canceled entries stay as they
    are; postponed ones are refused (`postponed`)."""
    require_permission(user, CANCEL)
    numbers = _entry_numbers(entry_numbers)
    require_may_see_entries(entry_numbers=numbers, user=user)
    entries = InteractionLogEntry.objects.filter(entry_no__in=numbers, canceled=False, postponed=False)
    changed = list(entries.select_for_update().values_list("entry_no", flat=True))
    InteractionLogEntry.objects.filter(entry_no__in=changed).update(
        canceled=True, canceled_changed_by=user, canceled_changed_at=timezone.now()
    )
    summaries.entries_canceled(InteractionLogEntry.objects.filter(entry_no__in=changed))
    webhooks.announce_entries(webhooks.ENTRY_CANCELED, changed)
    return CancelResult(changed=sorted(changed), postponed=_postponed(numbers))


@transaction.atomic
def restore_entries(*, entry_numbers, user) -> CancelResult:
    """Switch canceled off, except for entries of a canceled logged segment (refused) and
    postponed ones (`postponed`)."""
    require_permission(user, CANCEL)
    numbers = _entry_numbers(entry_numbers)
    require_may_see_entries(entry_numbers=numbers, user=user)
    candidates = InteractionLogEntry.objects.filter(entry_no__in=numbers, canceled=True, postponed=False)
    # The logged segments' rows first, locked as canceling or restoring a logged segment
    # locks them (and in the same order, segment before entries): a segment's cancel that
    # has not committed yet is waited for and then seen, and one that starts now waits for
    # this restore to commit and then cancels the restored entries too. Read without the
    # lock, the segment's state could change before this restore commits, leaving an entry
    # restored inside a canceled segment.
    segment_ids = sorted(set(candidates.filter(logged_segment__isnull=False).values_list("logged_segment", flat=True)))
    segment_canceled = dict(
        LoggedSegment.objects.select_for_update()
        .filter(pk__in=segment_ids)
        .order_by("pk")
        .values_list("pk", "canceled")
    )
    rows = list(candidates.select_for_update().values_list("entry_no", "logged_segment"))
    refused = sorted(number for number, segment in rows if segment_canceled.get(segment, False))
    changed = sorted(number for number, segment in rows if not segment_canceled.get(segment, False))
    InteractionLogEntry.objects.filter(entry_no__in=changed).update(
        canceled=False, canceled_changed_by=user, canceled_changed_at=timezone.now()
    )
    summaries.entries_restored(InteractionLogEntry.objects.filter(entry_no__in=changed))
    webhooks.announce_entries(webhooks.ENTRY_RESTORED, changed)
    return CancelResult(changed=changed, refused=refused, postponed=_postponed(numbers))


def evaluate_entries(*, entry_numbers, evaluation: str, user) -> int:
    """Set the evaluation of the entries; returns how many were changed. Refuses a selection
    with another user's postponed interaction (PermissionDenied)."""
    require_permission(user, EVALUATE)
    if evaluation not in Evaluation.values:
        raise ValueError(f"unknown evaluation {evaluation!r}")
    numbers = _entry_numbers(entry_numbers)
    require_may_see_entries(entry_numbers=numbers, user=user)
    return InteractionLogEntry.objects.filter(entry_no__in=numbers).update(evaluation=evaluation)


def add_comment(
    *, entry: InteractionLogEntry, text: str, user, date: datetime.date | None = None
) -> InteractionComment:
    require_permission(user, COMMENT)
    require_may_see_entry(user=user, entry=entry)
    text = text.strip()
    if not text:
        raise ValueError(_("A comment cannot be empty."))
    return InteractionComment.objects.create(entry=entry, text=text, author=user, date=date or timezone.localdate())
