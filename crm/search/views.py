"""The search's pages: the results page (works without JavaScript) and the JSON the
navigation bar's palette reads as the user types. Every logged-in user may search; what
each finds is filtered by what they may open (crm/search/__init__.py)."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import Query, search


@require_GET
def results(request):
    query = Query.parse(request.GET.get("q"))
    groups = search(query, user=request.user, limit=20, pages_limit=20)
    return render(request, "search/results.html", {"query": query, "groups": groups})


@require_GET
def suggestions(request):
    query = Query.parse(request.GET.get("q"))
    groups = search(query, user=request.user)
    return JsonResponse(
        {"query": query.text, "results": [result.as_dict(group.label) for group in groups for result in group.results]}
    )
