"""Reads of the saved views of the interaction log (models.log_views)."""

from django.db.models import Q, QuerySet

from ..models import LogView


def views_for(*, user) -> QuerySet[LogView]:
    """The views a user may open: the user's own and those the team shares, by name."""
    return LogView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner").order_by("name", "pk")


def view_for(*, user, pk) -> LogView | None:
    """The view `pk` if the user may open it, else None (another user's private view is as
    unknown as one that does not exist)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < number < 2**63:
        return None
    return views_for(user=user).filter(pk=number).first()


def default_view(*, user) -> LogView | None:
    return LogView.objects.filter(owner=user, is_default=True).first()
