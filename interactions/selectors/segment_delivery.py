"""Reads of a logged segment's delivery: counts by outcome (for the live delivery page) and
the e-mail entries still queued or failed, with their reasons. Counted in the database:
two aggregate queries however many entries."""

from django.db.models import Count, Q

from crm.contacts.models import CorrespondenceType

from ..models import DeliveryChannel, DeliveryStatus, InteractionLogEntry, LoggedSegment, SegmentEntryContent


def delivery_counts(logged: LoggedSegment) -> dict[str, int]:
    """sent / queued / failed e-mails, letters, fax lines, and e-mail lines not delivered."""
    entries = InteractionLogEntry.objects.filter(logged_segment=logged)
    counts = entries.aggregate(
        # A canceled entry's e-mail is not sent (the claim leaves it alone): not waiting either.
        queued=Count(
            "entry_no",
            filter=Q(
                canceled=False,
                correspondence_type=CorrespondenceType.EMAIL,
                delivery_status__in=[DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING],
            ),
        ),
        failed=Count(
            "entry_no", filter=Q(correspondence_type=CorrespondenceType.EMAIL, delivery_status=DeliveryStatus.ERROR)
        ),
        emails=Count("entry_no", filter=Q(correspondence_type=CorrespondenceType.EMAIL)),
        fax=Count("entry_no", filter=Q(correspondence_type=CorrespondenceType.FAX)),
        total=Count("entry_no"),
    )
    contents = SegmentEntryContent.objects.filter(logged_segment=logged).aggregate(
        sent=Count(
            "entry_id",
            filter=Q(
                channel=DeliveryChannel.EMAIL,
                handed_over_at__isnull=False,
                entry__delivery_status=DeliveryStatus.BLANK,
            ),
        ),
        letters=Count("entry_id", filter=Q(letter_page__isnull=False)),
        missing=Count("entry_id", filter=~Q(missing_placeholders="")),
    )
    counts.update(contents)
    counts["not_sent"] = counts["emails"] - counts["sent"] - counts["queued"] - counts["failed"]
    counts["finished"] = counts["queued"] == 0
    return counts


def undelivered_entries(logged: LoggedSegment):
    """The e-mail entries queued or failed, oldest first, with their contact and content."""
    return (
        InteractionLogEntry.objects.filter(
            logged_segment=logged,
            correspondence_type=CorrespondenceType.EMAIL,
            delivery_status__in=[DeliveryStatus.IN_PROGRESS, DeliveryStatus.SENDING, DeliveryStatus.ERROR],
        )
        .select_related("contact", "segment_content")
        .order_by("entry_no")
    )
