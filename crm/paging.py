"""Paginators for the project's tables (django-tables2), safe against any page address.

django-tables2's RequestConfig takes `page` and `per_page` from the query string as they
come: `?per_page=-1` failed with a server error, `?per_page=100000000` read a whole table
into memory, and `?page=9223372036854775807` overflowed the database's OFFSET. These
paginators keep `per_page` within 1..MAX_PER_PAGE and treat a page beyond MAX_PAGE as
empty (RequestConfig then shows the last page). Every paginated table uses one of them:
pass `paginator_class` to RequestConfig.
"""

from django.core.paginator import EmptyPage, Paginator
from django.utils.translation import gettext_lazy as _
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
