"""The team's portal page for a patient (mounted under /patients/<patient_id>/portal/)."""

from django.urls import path

from pallio.portal import staff_views

app_name = "portal_team"

urlpatterns = [
    path("", staff_views.patient_portal, name="patient"),
    path("invite/", staff_views.invite, name="invite"),
    path(
        "invitations/<uuid:invitation_id>/withdraw/",
        staff_views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("access/<uuid:portal_access_id>/suspend/", staff_views.suspend, name="suspend"),
    path("access/<uuid:portal_access_id>/lift/", staff_views.lift, name="lift"),
    path("access/<uuid:portal_access_id>/decides/", staff_views.decides, name="decides"),
]
