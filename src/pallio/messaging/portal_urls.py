"""Mounted at /portal/<uuid:patient_id>/messages/ (the patient comes from the address)."""

from django.urls import path

from pallio.messaging import portal_views

app_name = "messaging_portal"

urlpatterns = [
    path("", portal_views.thread_list, name="list"),
    path("new/", portal_views.thread_new, name="new"),
    path("<uuid:thread_id>/", portal_views.thread_view, name="thread"),
    path(
        "<uuid:thread_id>/files/<uuid:message_attachment_id>/",
        portal_views.attachment,
        name="attachment",
    ),
]
