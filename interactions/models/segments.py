"""Segments: named lists of contacts to interact with in bulk, and logged segments."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Campaign, Contact, CorrespondenceType, Language, Numbered, Salesperson, Series

from .choices import Evaluation, InformationFlow, InitiatedBy
from .templates import InteractionTemplate


class Segment(Numbered):
    """Segment header: the defaults that its lines carry."""

    NUMBER_SERIES = Series("SEGMENT", prefix="SM", width=5)

    number = models.CharField(_("number"), max_length=20, unique=True, blank=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    salesperson = models.ForeignKey(
        Salesperson, verbose_name=_("salesperson"), on_delete=models.PROTECT, null=True, blank=True
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    template = models.ForeignKey(
        InteractionTemplate,
        verbose_name=_("interaction template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    language_default = models.CharField(_("language (default)"), max_length=10, choices=Language.choices, blank=True)
    subject_default = models.CharField(_("subject (default)"), max_length=100, blank=True)
    correspondence_type_default = models.CharField(
        _("correspondence type (default)"), max_length=10, choices=CorrespondenceType.choices, blank=True
    )
    ignore_contact_correspondence_type = models.BooleanField(_("ignore contact's correspondence type"), default=False)
    unit_cost = models.DecimalField(
        _("cost per contact"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    unit_duration = models.PositiveIntegerField(_("duration per contact (min.)"), default=0)
    information_flow = models.CharField(
        _("information flow"), max_length=10, choices=InformationFlow.choices, blank=True
    )
    initiated_by = models.CharField(_("initiated by"), max_length=10, choices=InitiatedBy.choices, blank=True)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True)
    campaign_target = models.BooleanField(_("campaign target"), default=False)
    campaign_response = models.BooleanField(_("campaign response"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="segment_unit_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.number} {self.description}"


class SegmentLine(models.Model):
    """One contact of a segment, with its own values for the entry it will become."""

    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="lines")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    contact_company = models.ForeignKey(
        Contact,
        verbose_name=_("contact company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    correspondence_type = models.CharField(
        _("correspondence type"), max_length=10, choices=CorrespondenceType.choices, blank=True
    )
    template = models.ForeignKey(
        InteractionTemplate,
        verbose_name=_("interaction template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    evaluation = models.CharField(_("evaluation"), max_length=15, choices=Evaluation.choices, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    duration = models.PositiveIntegerField(_("duration (min.)"), default=0)
    information_flow = models.CharField(
        _("information flow"), max_length=10, choices=InformationFlow.choices, blank=True
    )
    initiated_by = models.CharField(_("initiated by"), max_length=10, choices=InitiatedBy.choices, blank=True)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    campaign_target = models.BooleanField(_("campaign target"), default=False)
    campaign_response = models.BooleanField(_("campaign response"), default=False)
    contact_via = models.CharField(_("contact via"), max_length=80, blank=True)
    # Blank: the segment's salesperson.
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The time the interaction took place, if known (the original's "time of interaction");
    # the entry's date is the segment's.
    time = models.TimeField(_("time of interaction"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment line")
        verbose_name_plural = _("segment lines")
        ordering = ["segment", "id"]
        # A contact can have several lines ("allow existing contacts", as in the original).
        # The lines page reads a page's ids from (segment, id) alone (crm.paging.DeferredJoinTableData).
        indexes = [
            models.Index(fields=["segment", "contact"], name="segment_line_contact"),
            models.Index(fields=["segment", "id"], name="segment_line_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="segment_line_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.segment.number}: {self.contact}"


class LoggedSegment(models.Model):
    """The record of one "log segment" run; canceling it cancels all its entries."""

    segment_number = models.CharField(_("segment number"), max_length=20, blank=True, db_index=True)
    description = models.CharField(_("description"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, blank=True
    )
    canceled = models.BooleanField(_("canceled"), default=False)

    class Meta:
        verbose_name = _("logged segment")
        verbose_name_plural = _("logged segments")
        ordering = ["-id"]
        permissions = [("cancel_loggedsegment", _("Can cancel and restore logged segments"))]

    def __str__(self):
        return f"{self.number} {self.description}"

    @property
    def number(self) -> int:
        """The logged segment's number is its primary key (the original numbers them 1, 2, ...)."""
        return self.pk


class SegmentAction(models.TextChoices):
    """What a criteria step does with the contacts that match its criteria."""

    ADD = "add", _("Add contacts")
    REDUCE = "reduce", _("Reduce contacts")
    REFINE = "refine", _("Refine contacts")
    # The contacts of a logged segment ("Reuse segment"); its criteria name the logged segment.
    REUSE_LOGGED = "reuse_logged", _("Reuse segment")


class SegmentCriteriaStep(models.Model):
    """One add/reduce/refine step applied to a segment, with what it changed, so that
    "go back" undoes exactly that step (the original's "segment criteria" and "segment
    history")."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="criteria_steps"
    )
    step = models.PositiveIntegerField(_("step"))
    action = models.CharField(_("action"), max_length=20, choices=SegmentAction.choices)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    options = models.JSONField(_("options"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The contacts whose lines this step created: going back deletes their lines.
    added_contact_ids = models.JSONField(_("contacts added"), default=list, blank=True)
    # The lines this step created (a contact may have had a line before): going back
    # deletes exactly these.
    added_line_ids = models.JSONField(_("lines added"), default=list, blank=True)
    # The lines this step deleted, with every value (edited ones too) and their ids, so
    # going back puts them back exactly as they were and where they were. Steps recorded
    # before the steps ran in SQL only: newer ones keep them as SegmentRemovedLine rows.
    removed_lines = models.JSONField(_("lines removed"), default=list, blank=True, encoder=DjangoJSONEncoder)
    # The lines this step created, as a range of line ids of the segment (the segment is
    # locked while a step runs, so the step's lines are all the segment's lines in the
    # range): going back deletes exactly these. Null for steps recorded as id lists above.
    added_after_line_id = models.BigIntegerField(_("lines added after"), null=True, blank=True)
    added_through_line_id = models.BigIntegerField(_("lines added through"), null=True, blank=True)
    added_count = models.PositiveIntegerField(_("number of lines added"), default=0)
    removed_count = models.PositiveIntegerField(_("number of lines removed"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("segment criteria step")
        verbose_name_plural = _("segment criteria steps")
        ordering = ["segment", "step"]
        constraints = [models.UniqueConstraint(fields=["segment", "step"], name="one_criteria_step_number_per_segment")]

    def __str__(self):
        return f"{self.segment.number} #{self.step} {self.get_action_display()}"


class SegmentRemovedLine(models.Model):
    """A line that a reduce or refine step deleted, with every value it had and its id, so
    that going back puts it back as it was and where it was. Related rows are kept by id,
    without constraint: one deleted since is left blank when the line comes back (a line
    whose contact is gone does not come back)."""

    step = models.ForeignKey(
        SegmentCriteriaStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="removed_line_rows"
    )
    line_id = models.BigIntegerField(_("line"))
    contact_id = models.BigIntegerField(_("contact"))
    contact_company_id = models.BigIntegerField(_("contact company"), null=True, blank=True)
    correspondence_type = models.CharField(_("correspondence type"), max_length=10, blank=True)
    template_id = models.BigIntegerField(_("interaction template"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    evaluation = models.CharField(_("evaluation"), max_length=15, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    duration = models.PositiveIntegerField(_("duration (min.)"), default=0)
    information_flow = models.CharField(_("information flow"), max_length=10, blank=True)
    initiated_by = models.CharField(_("initiated by"), max_length=10, blank=True)
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)
    campaign_target = models.BooleanField(_("campaign target"), default=False)
    campaign_response = models.BooleanField(_("campaign response"), default=False)
    contact_via = models.CharField(_("contact via"), max_length=80, blank=True)
    salesperson_id = models.BigIntegerField(_("salesperson"), null=True, blank=True)
    time = models.TimeField(_("time of interaction"), null=True, blank=True)

    class Meta:
        verbose_name = _("removed segment line")
        verbose_name_plural = _("removed segment lines")
        ordering = ["step", "line_id"]


class SavedSegmentCriteria(models.Model):
    """A segment's criteria saved under a code: the whole recipe, every step (add, reduce,
    refine, reuse segment) with its criteria and options, in order (its `steps`), to be
    replayed on any segment ("Reuse criteria")."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("saved segment criteria")
        verbose_name_plural = _("saved segment criteria")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="saved_segment_criteria_code_not_blank")]

    def __str__(self):
        return f"{self.code} {self.description}".strip()


class SavedSegmentCriteriaStep(models.Model):
    """One step of saved criteria (the original's "Saved Segment Criteria Line" of type
    action, with the filters that follow it folded into `criteria`)."""

    saved_criteria = models.ForeignKey(
        SavedSegmentCriteria, verbose_name=_("saved criteria"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.PositiveIntegerField(_("step"))
    action = models.CharField(_("action"), max_length=20, choices=SegmentAction.choices)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    options = models.JSONField(_("options"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("saved segment criteria step")
        verbose_name_plural = _("saved segment criteria steps")
        ordering = ["saved_criteria", "step"]
        constraints = [
            models.UniqueConstraint(fields=["saved_criteria", "step"], name="one_saved_criteria_step_number")
        ]

    def __str__(self):
        return f"{self.saved_criteria.code} #{self.step} {self.get_action_display()}"
