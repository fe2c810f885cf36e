from django.urls import path

from .views import attachments, communication, log, purge, recording, segments, setup, statistics

app_name = "interactions"
urlpatterns: list = [
    path("purge/", purge.purge, name="purge"),
    path("purge/<uuid:task_id>/", purge.progress, name="purge-progress"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment-download"),
    path("log/", log.interaction_log, name="log"),
    path("log/actions/", log.log_actions, name="log-actions"),
    path("log/<int:entry_no>/", log.entry_detail, name="entry-detail"),
    path("log/<int:entry_no>/resend/", communication.entry_resend, name="entry-resend"),
    path("email/new/", communication.email_new, name="email-new"),
    path("calls/new/", communication.call_new, name="call-new"),
    path("meetings/new/", communication.meeting_new, name="meeting-new"),
    path("new/", recording.interaction_new, name="new"),
    path("new/contacts/", recording.contact_search, name="contact-search"),
    path("postponed/", recording.postponed_list, name="postponed"),
    path("postponed/<int:entry_no>/resume/", recording.postponed_resume, name="postponed-resume"),
    path("postponed/<int:entry_no>/delete/", recording.postponed_delete, name="postponed-delete"),
    path("templates/", setup.template_list, name="templates"),
    # "new/" before "<code>/", or it would be read as a template coded "new" (codes are
    # capitals, so a template coded NEW stays reachable at templates/NEW/).
    path("templates/new/", setup.template_create, name="template-create"),
    path("templates/<str:code>/", setup.template_detail, name="template-detail"),
    path("templates/<str:code>/edit/", setup.template_edit, name="template-edit"),
    path("templates/<str:code>/delete/", setup.template_delete, name="template-delete"),
    path("groups/", setup.group_list, name="groups"),
    path("groups/new/", setup.group_create, name="group-create"),
    path("groups/<str:code>/edit/", setup.group_edit, name="group-edit"),
    path("setup/", setup.template_setup, name="setup"),
    path("salespeople/", statistics.salespeople, name="salespeople"),
    path("segments/", segments.segment_list, name="segments"),
    path("segments/<str:number>/", segments.segment_detail, name="segment-detail"),
    path("segments/<str:number>/edit/", segments.segment_edit, name="segment-edit"),
    path("segments/<str:number>/update-lines/", segments.segment_update_lines, name="segment-update-lines"),
    path("segments/<str:number>/delete/", segments.segment_delete, name="segment-delete"),
    path("segments/<str:number>/contacts/", segments.segment_criteria, name="segment-criteria"),
    path("segments/<str:number>/go-back/", segments.segment_go_back, name="segment-go-back"),
    path("segments/<str:number>/log/", segments.segment_log, name="segment-log"),
    path("segments/<str:number>/lines/remove/", segments.segment_lines_remove, name="segment-lines-remove"),
    path("segments/<str:number>/lines/<int:pk>/", segments.segment_line_edit, name="segment-line-edit"),
    path("logged-segments/", segments.logged_segment_list, name="logged-segments"),
    path(
        "logged-segments/delete-canceled/",
        segments.logged_segments_delete_canceled,
        name="logged-segments-delete-canceled",
    ),
    path("logged-segments/<int:pk>/canceled/", segments.logged_segment_cancel, name="logged-segment-cancel"),
]
