"""The interactions dashboard, a panel that host pages (the landing page) include:

    {% load interactions_dashboard %}{% interactions_dashboard %}

Interactions per week by group (a stacked bar chart drawn by static/interactions/dashboard.js
from data passed with json_script, never concatenated into a script), headline figures and
links to the module's main pages."""

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..permissions import CHANGE_MAILBOXES, VIEW_LOG
from ..selectors import mail_capture as mail_capture_selectors
from ..selectors import statistics as selectors
from ..tables.statistics import WeeklyInteractionsTable

register = template.Library()

DASHBOARD_WEEKS = 26


@register.inclusion_tag("interactions/dashboard.html", takes_context=True)
def interactions_dashboard(context, weeks: int = DASHBOARD_WEEKS):
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    panel = {"request": request, "user": user, "perms": context.get("perms"), "weeks": weeks}
    # Every administrator sees the mailboxes that failed three runs in a row, first.
    if user is not None and user.has_perm(CHANGE_MAILBOXES):
        panel["failing_mailboxes"] = mail_capture_selectors.failing_mailboxes()
    if user is None or not user.has_perm(VIEW_LOG):
        return {**panel, "can_view_log": False}
    weekly = selectors.interactions_per_week_by_group(weeks=weeks)
    chart = {
        "labels": [date_format(week, "SHORT_DATE_FORMAT") for week in weekly.weeks],
        "datasets": [{"label": dataset.label, "data": dataset.counts} for dataset in weekly.datasets],
        "axisTitle": _("Interactions"),
        "weekTitle": _("Week starting"),
    }
    return {
        **panel,
        "can_view_log": True,
        "weekly": weekly,
        "chart": chart,
        "weekly_table": WeeklyInteractionsTable.for_weeks(weekly),
        "figures": selectors.dashboard_figures(user=user),
    }
