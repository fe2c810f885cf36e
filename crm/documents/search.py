"""What the documents app offers the search (crm/search): the document list, and documents
by number (a part of it from three characters on, served on PostgreSQL by a trigram index,
migration 0002)."""

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from crm import search

from .models import Document
from .permissions import VIEW_PERMISSION

SUBSTRING_MIN_LENGTH = 3


def find_documents(query: search.Query, *, user, limit: int) -> list[search.Result]:
    if len(query.text) < SUBSTRING_MIN_LENGTH or not user.has_perm(VIEW_PERMISSION):
        return []
    documents = (
        Document.objects.filter(
            search.matching(Document, exact=Q(number__iexact=query.text), partial=Q(number__icontains=query.text))
        )
        .select_related("customer", "vendor")
        .annotate(
            rank=Case(When(number__iexact=query.text, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("rank", "-date", "-id")
        .only("kind", "number", "date", "customer__name", "vendor__name")[:limit]
    )
    results = []
    for document in documents:
        partner = document.customer or document.vendor
        results.append(
            search.Result(
                kind="documents",
                title=str(document),
                url=document.get_absolute_url(),
                detail=" · ".join(part for part in (partner.name if partner else "", str(document.date)) if part),
            )
        )
    return results


def register() -> None:
    search.register_page(
        "documents:list",
        name=_("Documents"),
        permissions=[VIEW_PERMISSION],
        keywords=["Documents", "Sales documents", "Документы", "Документы продажи"],
        order=20,
    )
    search.register_records("documents", label=_("Documents"), find=find_documents, order=20)
