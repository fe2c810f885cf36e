from .attachments import Attachment
from .choices import DeliveryStatus, Evaluation, InformationFlow, InitiatedBy, WizardAction
from .exports import LogExport, LogExportState
from .log import InteractionComment, InteractionLogEntry, PostponedInteraction
from .log_views import LogView
from .mailboxes import (
    FAILING_AFTER_RUNS,
    CapturedEmail,
    LogMode,
    Mailbox,
    MailboxKind,
    MailboxRun,
    MailboxRunState,
    MailboxSecurity,
    MailCaptureSettings,
    PasswordSource,
    SkippedMessage,
    SkipReason,
)
from .purge_runs import PurgeRun, PurgeRunState
from .segment_delivery import BulkEmailOptOut, DeliveryChannel, SegmentEntryContent
from .segments import (
    LoggedSegment,
    SavedSegmentCriteria,
    SavedSegmentCriteriaStep,
    Segment,
    SegmentAction,
    SegmentCriteriaStep,
    SegmentLine,
    SegmentRemovedLine,
)
from .setup import SETUP_EVENTS, SETUP_SECTIONS, InteractionTemplateSetup
from .summaries import CompanyMonthSummary, ContactMonthSummary, InteractionDaySummary
from .templates import InteractionGroup, InteractionTemplate, InteractionTemplateLanguage
from .webhooks import TEST_EVENT, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "FAILING_AFTER_RUNS",
    "CapturedEmail",
    "CompanyMonthSummary",
    "ContactMonthSummary",
    "LogMode",
    "MailCaptureSettings",
    "Mailbox",
    "MailboxKind",
    "MailboxRun",
    "MailboxRunState",
    "MailboxSecurity",
    "PasswordSource",
    "SkippedMessage",
    "SkipReason",
    "SETUP_EVENTS",
    "SETUP_SECTIONS",
    "TEST_EVENT",
    "Attachment",
    "BulkEmailOptOut",
    "DeliveryChannel",
    "DeliveryStatus",
    "Evaluation",
    "InformationFlow",
    "InitiatedBy",
    "InteractionComment",
    "InteractionDaySummary",
    "InteractionGroup",
    "InteractionLogEntry",
    "InteractionTemplate",
    "InteractionTemplateLanguage",
    "InteractionTemplateSetup",
    "LogExport",
    "LogExportState",
    "LogView",
    "LoggedSegment",
    "PostponedInteraction",
    "PurgeRun",
    "PurgeRunState",
    "SavedSegmentCriteria",
    "SavedSegmentCriteriaStep",
    "Segment",
    "SegmentAction",
    "SegmentCriteriaStep",
    "SegmentEntryContent",
    "SegmentLine",
    "SegmentRemovedLine",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "WizardAction",
]
