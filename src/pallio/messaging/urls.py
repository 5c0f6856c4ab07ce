from django.urls import path

from pallio.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:thread_id>/", views.thread_view, name="thread"),
    path("<uuid:thread_id>/close/", views.thread_close, name="close"),
    path(
        "<uuid:thread_id>/files/<uuid:message_attachment_id>/", views.attachment, name="attachment"
    ),
]
