from django_filters.rest_framework import DjangoFilterBackend


class PageFilterBackend(DjangoFilterBackend):
    """The pages' FilterSets, built as the pages build them (from the query string alone:
    they do not take the request)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs.pop("request", None)
        return kwargs
