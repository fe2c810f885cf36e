"""Reads of the setup pages: templates with their languages, the template setup by section."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from ..models import (
    SETUP_SECTIONS,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
)
from ..models.setup import event_use


def templates_with_languages() -> QuerySet[InteractionTemplate]:
    """Templates with what their page shows joined in: group, campaign, and the language
    rows with their attachments (one extra query for all rows)."""
    return InteractionTemplate.objects.select_related("group", "campaign").prefetch_related(
        Prefetch("languages", queryset=template_languages())
    )


def template_languages() -> QuerySet[InteractionTemplateLanguage]:
    return InteractionTemplateLanguage.objects.select_related("attachment").order_by("language")


@dataclass(frozen=True)
class SetupEvent:
    """One automatic event of the template setup and the template that records it."""

    section: str
    name: str
    caption: str
    template: InteractionTemplate | None = None

    @property
    def use(self) -> str:
        """What records with the event's template."""
        return str(event_use(self.name))


@dataclass(frozen=True)
class SetupSection:
    title: str
    events: list[SetupEvent]


def template_setup_sections() -> list[SetupSection]:
    """The template setup as its page shows it: General, Sales, Purchases, Service, each
    event with its template. Two queries (the setup row, then all its templates at once),
    not one per event."""
    setup = InteractionTemplateSetup.load()
    template_ids = {getattr(setup, f"{name}_id") for name, _caption in _setup_events()} - {None}
    templates = InteractionTemplate.objects.select_related("group").in_bulk(template_ids)
    return [
        SetupSection(
            title,
            [SetupEvent(title, name, caption, templates.get(getattr(setup, f"{name}_id"))) for name, caption in events],
        )
        for title, events in SETUP_SECTIONS
    ]


def setup_events_recorded_by(template: InteractionTemplate) -> list[SetupEvent]:
    """The automatic events that `template` records, with their sections: captions such as
    "Quotes" exist in both Sales and Purchases."""
    names = set(InteractionTemplateSetup.events_using(template.pk))
    return [
        SetupEvent(title, name, caption, template)
        for title, events in SETUP_SECTIONS
        for name, caption in events
        if name in names
    ]


def _setup_events():
    return [event for _title, events in SETUP_SECTIONS for event in events]
