"""Paginators for the project's tables (django-tables2), safe against any page address.

django-tables2's RequestConfig takes `page` and `per_page` from the query string as they
come: `?per_page=-1` failed with a server error, `?per_page=100000000` read a whole table
into memory, and `?page=9223372036854775807` overflowed the database's OFFSET. These
paginators keep `per_page` within 1..MAX_PER_PAGE and treat a page beyond MAX_PAGE as
empty (RequestConfig then shows the last page). Every paginated table uses one of them:
pass `paginator_class` to RequestConfig.
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, Paginator
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData
from django_tables2.paginators import LazyPaginator

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000


class _Bounded:
    def __init__(self, object_list, per_page, *args, **kwargs):
        try:
            per_page = int(per_page)
        except (TypeError, ValueError):
            per_page = MAX_PER_PAGE
        super().__init__(object_list, min(max(per_page, 1), MAX_PER_PAGE), *args, **kwargs)

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > MAX_PAGE:
            raise EmptyPage(_("That page contains no results"))
        return number


class SafePaginator(_Bounded, Paginator):
    pass


class SafeLazyPaginator(_Bounded, LazyPaginator):
    pass


class DeferredJoinTableData(TableQuerysetData):
    """A table's rows read in two steps: the page's primary keys first, from the index of
    the sort order alone, then only those rows with what they join (a query that joins
    first sorts every joined row of the table before its OFFSET). A page in the far half
    of the table is read from the other end, in the reverse order, so that the last page
    costs what the first does. The order is made total (the primary key last, unless a
    unique column is in it), so that its reverse is exact and no row falls between pages."""

    def order_by(self, aliases):
        super().order_by(aliases)
        self.data = _uniquely_ordered(self.data)

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        self.data = _uniquely_ordered(self.data)
        count = len(self)  # counted once per request: the paginator asks the same
        start = min(max(key.start or 0, 0), count)
        stop = min(count if key.stop is None else key.stop, count)
        if stop <= start:
            return []
        if count - stop < start:
            keys = list(self.data.reverse().values_list("pk", flat=True)[count - stop : count - start])
            keys.reverse()
        else:
            keys = list(self.data.values_list("pk", flat=True)[start:stop])
        rows = self.data.order_by().in_bulk(keys)
        return [rows[pk] for pk in keys if pk in rows]


def _uniquely_ordered(queryset):
    """`queryset` with the primary key at the end of its order, unless a unique column of
    its own is already in it."""
    terms = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    if not all(isinstance(term, str) for term in terms):
        return queryset
    for term in terms:
        name = term.lstrip("-")
        if name == "pk" or "__" in name:
            if name == "pk":
                return queryset
            continue
        try:
            field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.primary_key or field.unique:
            return queryset
    return queryset.order_by(*terms, "pk")
