from django.urls import path

from pallio.referrals import views

app_name = "referrals"

urlpatterns = [
    path("p/<slug:slug>/refer/", views.provider_referral, name="provider"),
    path("p/<slug:slug>/refer/self/", views.self_referral, name="self"),
    path("p/<slug:slug>/refer/thanks/<str:reference>/", views.thanks, name="thanks"),
    path("p/diagnoses/", views.diagnosis_lookup, name="diagnoses"),
    path("referrals/", views.queue, name="queue"),
    path("referrals/phone/", views.phone_referral, name="phone"),
    path("referrals/<uuid:referral_id>/", views.detail, name="detail"),
    path("referrals/<uuid:referral_id>/insurance/", views.insurance, name="insurance"),
    path("referrals/<uuid:referral_id>/link/", views.link_patient, name="link"),
    path("referrals/<uuid:referral_id>/new-patient/", views.create_patient, name="new_patient"),
    path("referrals/<uuid:referral_id>/accept/", views.accept, name="accept"),
    path("referrals/<uuid:referral_id>/decline/", views.decline, name="decline"),
    path("referrals/<uuid:referral_id>/redirect/", views.redirect_referral, name="redirect"),
    path("referrals/<uuid:referral_id>/hold/", views.hold, name="hold"),
    path("referrals/<uuid:referral_id>/resume/", views.resume, name="resume"),
    path(
        "referrals/<uuid:referral_id>/files/<uuid:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path(
        "referrals/<uuid:referral_id>/enrollment-files/<uuid:attachment_id>/",
        views.enrollment_attachment,
        name="enrollment_attachment",
    ),
    path(
        "referrals/medications/<uuid:item_id>/reconcile/",
        views.reconcile_medication,
        name="reconcile_medication",
    ),
]
