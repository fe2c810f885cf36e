"""Saved views of the interaction log: create, rename, delete, make the default.

The rules (models.log_views): a view is its owner's, and only the owner changes it
(PermissionDenied for anyone else, whatever the page showed); a name is unique per owner
whatever its case; a user has one default view at most, so making one the default takes
the mark from the other in the same transaction. What a view remembers is cleaned here:
the query string without the page number or an export, the columns among those the log has.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from ..models import LogView
from ..permissions import VIEW_LOG

# Parameters of the log's address that belong to one visit, not to a view.
TRANSIENT_PARAMETERS = ("page", "export", "view", "columns", "columns_chosen", "all")
MAX_QUERY_LENGTH = 2000


def view_query(query_string: str) -> str:
    """The query string as a view keeps it: filter, sort and page size, nothing else."""
    query = QueryDict(query_string.lstrip("?").replace("\x00", ""), mutable=True)
    for name in TRANSIENT_PARAMETERS:
        query.pop(name, None)
    pairs = [(name, value) for name, values in query.lists() for value in values if value != ""]
    return urlencode(pairs)


def _check_may_save(user) -> None:
    if not user.has_perm(VIEW_LOG):
        raise PermissionDenied(_("You may not read the interaction log."))


def _check_owner(view: LogView, user) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied(_("Only the user who saved view “%(name)s” can change it.") % {"name": view.name})


def _clean_name(name: str, *, owner, exclude_pk: int | None = None) -> str:
    name = " ".join(name.replace("\x00", "").split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > LogView._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long (80 characters at most).")})
    taken = LogView.objects.filter(owner=owner, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("You already have a view named “%(name)s”.") % {"name": name}})
    return name


def _clean_columns(columns: list[str], *, known: list[str]) -> list[str]:
    unknown = [name for name in columns if name not in known]
    if unknown:
        raise ValidationError({"columns": _("The log has no column %(names)s.") % {"names": ", ".join(unknown)}})
    return [name for name in known if name in columns]  # in the table's order, without repeats


@transaction.atomic
def create_view(
    *, owner, name: str, query_string: str, columns: list[str], known_columns: list[str], shared: bool, default: bool
) -> LogView:
    _check_may_save(owner)
    query = view_query(query_string)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError({"query_string": _("The filter is too long to be saved.")})
    view = LogView(
        owner=owner,
        name=_clean_name(name, owner=owner),
        query_string=query,
        columns=_clean_columns(columns, known=known_columns),
        shared=shared,
    )
    view.save()
    if default:
        _make_default(view)
    return view


@transaction.atomic
def change_view(*, view: LogView, user, name: str, shared: bool, default: bool) -> LogView:
    """Rename the view, share it or make it private, make it the default or not."""
    view = LogView.objects.select_for_update().get(pk=view.pk)
    _check_owner(view, user)
    view.name = _clean_name(name, owner=user, exclude_pk=view.pk)
    view.shared = shared
    if not default:
        view.is_default = False
    view.save()
    if default:
        _make_default(view)
    return view


@transaction.atomic
def delete_view(*, view: LogView, user) -> None:
    _check_owner(view, user)
    LogView.objects.filter(pk=view.pk, owner=user).delete()


def _make_default(view: LogView) -> None:
    LogView.objects.filter(owner_id=view.owner_id, is_default=True).exclude(pk=view.pk).update(is_default=False)
    LogView.objects.filter(pk=view.pk).update(is_default=True)
    view.is_default = True
