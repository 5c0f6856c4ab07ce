from django.urls import include, path

from pallio.accounts import views as accounts_views
from pallio.core import views as core_views
from pallio.core.language import set_language

# Bad values in an address answer 400 with what was wrong (pallio.core.params).
handler400 = "pallio.core.params.bad_request"
# Refusals, missing pages and failures: inside the layout, with a way back (core/errors.py).
handler403 = "pallio.core.errors.permission_denied"
handler404 = "pallio.core.errors.page_not_found"
handler500 = "pallio.core.errors.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("pallio.referrals.urls")),
    path("patients/<uuid:patient_id>/portal/", include("pallio.portal.staff_urls")),
    path("patients/", include("pallio.patients.urls")),
    path("caseload/", include("pallio.episodes.urls")),
    path("enrollment/", include("pallio.episodes.enrollment_urls")),
    path("bereavement/", include("pallio.episodes.bereavement_urls")),
    path("hospice/", include("pallio.episodes.hospice_urls")),
    path("coordination/", include("pallio.coordination.urls")),
    path("audit/", include("pallio.audit.urls")),
    path("api/v1/", include("pallio.api")),
    path("acp/", include("pallio.acp.urls")),
    path("assessments/", include("pallio.assessments.urls")),
    path("medications/", include("pallio.medications.urls")),
    path("plans/", include("pallio.careplans.urls")),
    path("team-meetings/", include("pallio.careplans.idt_urls")),
    path("visits/", include("pallio.visits.urls")),
    path("summaries/", include("pallio.visits.summary_urls")),
    path("support/", include("pallio.support.urls")),
    path("stays/", include("pallio.episodes.stay_urls")),
    path("hospital-messages/", include("pallio.adt.urls")),
    path("program/", include("pallio.programs.urls")),
    path("staff/", include("pallio.accounts.urls")),
    path("portal/", include("pallio.portal.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("portal/<uuid:patient_id>/messages/", include("pallio.messaging.portal_urls")),
    path("messages/", include("pallio.messaging.urls")),
    path("invitation/<str:token>/", accounts_views.invitation_accept, name="invitation_accept"),
]

handler429 = "pallio.accounts.throttle.too_many_requests"
