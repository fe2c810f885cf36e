"""The profile page of personal API tokens (create, shown once; revoke), and the page
where an administrator sees and revokes every user's tokens."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.paging import SafePaginator

from . import tokens
from .forms import TokenForm
from .models import ApiToken


def _expiry(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    # The end of the chosen day, in the local time zone.
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


@require_http_methods(["GET", "POST"])
def token_list(request):
    created = None
    form = TokenForm()
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                created = tokens.create_token(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_at=_expiry(form.cleaned_data["expires_on"]),
                )
            except ValidationError as refused:
                for name, errors in refused.error_dict.items():
                    form.add_error("expires_on" if name == "expires_at" else name, errors)
            else:
                form = TokenForm()
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "created": created,
            "tokens": tokens.tokens_of(request.user),
            "may_see_all": request.user.has_perm(tokens.REVOKE_ANY),
        },
    )


@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    if not tokens.may_revoke(user=request.user, token=token):
        # Another user's token is not even said to exist.
        return render(request, "404.html", status=404)
    if tokens.revoke_token(token=token, user=request.user):
        messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    back = request.POST.get("next")
    return redirect("api:tokens-all" if back == "all" else "api:tokens")


@permission_required(tokens.REVOKE_ANY, raise_exception=True)
def token_list_all(request):
    paginator = SafePaginator(tokens.all_tokens(), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "api/token_list_all.html", {"page": page, "tokens": page.object_list})
