from django.urls import path

from pallio.adt import views

app_name = "adt"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:message_id>/", views.message_detail, name="message"),
    path("<uuid:message_id>/match", views.message_match, name="match"),
    path("<uuid:message_id>/dismiss", views.message_dismiss, name="dismiss"),
]
