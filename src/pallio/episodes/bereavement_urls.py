"""The bereavement pages. `follow_up_id` is a family's follow-up (it leads to the patient);
`contact_id` one of its planned contacts."""

from django.urls import path

from pallio.episodes import bereavement_views as views

app_name = "bereavement"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("<uuid:follow_up_id>/", views.follow_up_detail, name="follow_up"),
    path(
        "<uuid:follow_up_id>/contacts/<uuid:contact_id>/",
        views.contact_record,
        name="contact",
    ),
    path("<uuid:follow_up_id>/screen/", views.screen_record, name="screen"),
    path("<uuid:follow_up_id>/referrals/", views.referral_create, name="refer"),
]
