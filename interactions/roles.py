"""What the interactions module grants to the project's roles (crm/roles.py).

Sales staff record interactions, comment, evaluate, build and log segments and read
everything; sales managers also cancel and restore entries and logged segments and delete
canceled entries; administrators set everything up (and reach the Django admin).
"""

from crm import roles

SALES_STAFF = [
    "interactions.view_interactiongroup",
    "interactions.view_interactiontemplate",
    "interactions.view_interactiontemplatelanguage",
    "interactions.view_interactiontemplatesetup",
    "interactions.view_attachment",
    "interactions.add_attachment",
    "interactions.view_interactionlogentry",
    "interactions.add_interactionlogentry",
    "interactions.evaluate_interactionlogentry",
    "interactions.export_interactionlogentry",
    "interactions.view_interactioncomment",
    "interactions.add_interactioncomment",
    "interactions.view_segment",
    "interactions.add_segment",
    "interactions.change_segment",
    "interactions.delete_segment",
    "interactions.view_segmentline",
    "interactions.add_segmentline",
    "interactions.change_segmentline",
    "interactions.delete_segmentline",
    "interactions.view_loggedsegment",
    "interactions.add_loggedsegment",
    # Saved criteria are shared by everyone who builds segments; the steps of a segment are
    # changed through the segment itself (its change permission), so they need no grant.
    "interactions.view_savedsegmentcriteria",
    "interactions.add_savedsegmentcriteria",
    "interactions.change_savedsegmentcriteria",
    "interactions.delete_savedsegmentcriteria",
]
SALES_MANAGER = [
    *SALES_STAFF,
    "interactions.cancel_interactionlogentry",
    # Resume or delete other users' postponed interactions, resend their e-mails.
    "interactions.act_on_others_interactionlogentry",
    "interactions.purge_interactionlogentry",
    "interactions.cancel_loggedsegment",
    "interactions.delete_loggedsegment",
    # E-mail capture: the health pages, skipped messages, logging one by hand.
    "interactions.view_mailbox",
    "interactions.view_mail_capture_health",
    "interactions.view_skippedmessage",
    "interactions.log_skippedmessage",
]

roles.declare(
    "interactions",
    {
        roles.SALES_STAFF: SALES_STAFF,
        roles.SALES_MANAGER: SALES_MANAGER,
        # Administrators get every permission of the module, webhook subscriptions
        # (permissions.MANAGE_WEBHOOKS) included: only they manage webhooks.
        roles.ADMINISTRATOR: roles.ALL_PERMISSIONS,
    },
)
