"""Permission names of the interactions module, and the rules built on them.

Every check in the module names its permission here, never as a string of its own: views
check (the page answers 403 or hides a button) and services check again (a task, a command,
another page or a crafted request cannot go round the view). Both layers use these names.
Templates read the same permissions as `perms.interactions.<codename>`.

Django groups hold the permissions (migrations 0002, 0004, 0005, 0007): sales staff record,
comment, evaluate, build and log segments; sales managers also cancel, restore, purge and
act on other users' entries; administrators hold everything.

The owner rule, one for every entry a user has recorded (a postponed interaction, an
e-mail to resend): it is the user's own; acting on someone else's needs ACT_ON_OTHERS, a
permission of its own rather than one of the manager's other permissions standing in for
"manager". `user=None` is a system caller (a task, a command, a signal receiver) and may
do everything.

The same rule decides who reads a postponed interaction: it is not in the log yet, it is
its user's draft, so only its user and those who may act on others' entries see it, by
any path (its page, its comments, its attachment, the log's actions, an e-mail answering
it); everyone else is refused (403), as for resuming or deleting it. Entries in the log
are read by everyone who may read the log.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

# --- The interaction log ---------------------------------------------------------------
VIEW_LOG = "interactions.view_interactionlogentry"
# Record an interaction: by hand (also "finish later" and completing a postponed one), by
# e-mail, phone call or meeting invitation, or by printing a document with logging.
RECORD = "interactions.add_interactionlogentry"
CANCEL = "interactions.cancel_interactionlogentry"  # cancel and restore entries
EVALUATE = "interactions.evaluate_interactionlogentry"
EXPORT = "interactions.export_interactionlogentry"
PURGE = "interactions.purge_interactionlogentry"  # delete canceled entries, restore a purge archive
# Act on entries that other users recorded (see the owner rule above).
ACT_ON_OTHERS = "interactions.act_on_others_interactionlogentry"
COMMENT = "interactions.add_interactioncomment"
VIEW_ATTACHMENTS = "interactions.view_attachment"
ADD_ATTACHMENTS = "interactions.add_attachment"

# --- Setup: templates, groups, the template setup --------------------------------------
VIEW_TEMPLATES = "interactions.view_interactiontemplate"
ADD_TEMPLATE = "interactions.add_interactiontemplate"  # with its language rows
CHANGE_TEMPLATE = "interactions.change_interactiontemplate"
DELETE_TEMPLATE = "interactions.delete_interactiontemplate"
VIEW_GROUPS = "interactions.view_interactiongroup"
ADD_GROUP = "interactions.add_interactiongroup"
CHANGE_GROUP = "interactions.change_interactiongroup"
VIEW_SETUP = "interactions.view_interactiontemplatesetup"
CHANGE_SETUP = "interactions.change_interactiontemplatesetup"

# --- Segments and logged segments ------------------------------------------------------
VIEW_SEGMENTS = "interactions.view_segment"
ADD_SEGMENT = "interactions.add_segment"
CHANGE_SEGMENT = "interactions.change_segment"  # its header, its criteria steps
DELETE_SEGMENT = "interactions.delete_segment"
ADD_SEGMENT_LINES = "interactions.add_segmentline"
CHANGE_SEGMENT_LINES = "interactions.change_segmentline"
DELETE_SEGMENT_LINES = "interactions.delete_segmentline"
SAVE_CRITERIA = "interactions.add_savedsegmentcriteria"
LOG_SEGMENT = "interactions.add_loggedsegment"
VIEW_LOGGED_SEGMENTS = "interactions.view_loggedsegment"
CANCEL_LOGGED_SEGMENT = "interactions.cancel_loggedsegment"  # cancel and restore, with its entries
DELETE_LOGGED_SEGMENTS = "interactions.delete_loggedsegment"  # the canceled ones

# --- Webhooks -------------------------------------------------------------------------
# Subscribe other systems to the module's events (administrators): the page
# /interactions/webhooks/ and its actions (create, edit, send a test event, rotate the secret).
MANAGE_WEBHOOKS = "interactions.change_webhooksubscription"

# --- E-mail capture (services/mail_capture/) ------------------------------------------------
# Set up mailboxes and the capture settings, and read a mailbox now: administrators.
CHANGE_MAILBOXES = "interactions.change_mailbox"
RUN_MAILBOX = "interactions.run_mailbox"
# The health pages, skipped messages and their raw copies: administrators and sales managers.
VIEW_MAIL_CAPTURE_HEALTH = "interactions.view_mail_capture_health"
LOG_SKIPPED_MESSAGE = "interactions.log_skippedmessage"

# --- The host's permissions that the module's pages check ------------------------------
VIEW_CONTACTS = "contacts.view_contact"
VIEW_SALESPEOPLE = "contacts.view_salesperson"


# --- Rules -----------------------------------------------------------------------------


def require_permission(user, name: str) -> None:
    """Refuse (PermissionDenied) a user who lacks the permission `name`, one of the names
    above. `user=None` is a system caller and is always allowed."""
    if user is None:
        return
    if not user.has_perm(name):
        raise PermissionDenied(_("You do not have permission to do this."))


def may_act_on_others(user) -> bool:
    """Whether the user may act on entries other users recorded (and see them listed)."""
    return user is None or user.has_perm(ACT_ON_OTHERS)


def may_act_on_entry(*, user, entry) -> bool:
    """The owner rule: an entry is its user's; those who may act on others' entries act on
    every entry. An entry recorded by no user (by the system) is nobody's own. Whether the
    user may do the action at all is a permission of its own, checked besides."""
    if may_act_on_others(user):
        return True
    return entry.user_id is not None and entry.user_id == user.pk


def require_may_act_on_entry(*, user, entry) -> None:
    """Refuse (PermissionDenied) what the owner rule does not allow."""
    if not may_act_on_entry(user=user, entry=entry):
        raise PermissionDenied(
            _("Interaction %(number)s belongs to another user: only that user and sales managers may do this.")
            % {"number": entry.entry_no}
        )


def may_see_entry(*, user, entry) -> bool:
    """The owner rule for reading: a postponed entry is seen only by those who may act on
    it; every other entry by everyone who may read the log."""
    return not entry.postponed or may_act_on_entry(user=user, entry=entry)


def require_may_see_entry(*, user, entry) -> None:
    """Refuse (PermissionDenied) another user's postponed interaction."""
    if not may_see_entry(user=user, entry=entry):
        raise PermissionDenied(
            _(
                "Interaction %(number)s is another user's postponed interaction: "
                "only that user and sales managers see it."
            )
            % {"number": entry.entry_no}
        )


def may_open_private_email(*, user, salesperson_user_id) -> bool:
    """The private-mailbox rule: an entry captured from a private mailbox is opened (its
    subject, its message) only by its salesperson's user and those who may act on others'
    entries (sales managers); everyone else sees it listed, without subject or message."""
    if may_act_on_others(user):
        return True
    return salesperson_user_id is not None and salesperson_user_id == user.pk


def visible_entries(user) -> Q:
    """`may_see_entry` as a condition on the log's rows (`.filter(visible_entries(user))`):
    everything for those who may act on others' entries, else every entry that is not
    postponed and the user's own postponed ones."""
    if may_act_on_others(user):
        return Q()
    return Q(postponed=False) | Q(user=user.pk)


def owner_lookups(user) -> dict[str, Any]:
    """The owner rule as lookups on the log's fields, for a statement that must carry it
    itself (`.filter(**owner_lookups(user))`, or the columns of a raw DELETE): none for
    those who may act on others' entries, else the entry's user."""
    if may_act_on_others(user):
        return {}
    return {"user": user.pk}
