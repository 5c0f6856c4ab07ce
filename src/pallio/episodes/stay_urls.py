from django.urls import path

from pallio.episodes import stay_views as views

app_name = "stays"

urlpatterns = [
    path("reviews/", views.stay_reviews, name="reviews"),
    path("reviews/<uuid:review_id>/", views.stay_review, name="review"),
    path("patient/<uuid:patient_id>/", views.patient_stays, name="patient"),
    path("patient/<uuid:patient_id>/new/", views.stay_new, name="new"),
    path("patient/<uuid:patient_id>/<uuid:stay_id>/", views.stay_detail, name="stay"),
    path(
        "patient/<uuid:patient_id>/<uuid:stay_id>/transfer/",
        views.stay_transfer,
        name="transfer",
    ),
    path(
        "patient/<uuid:patient_id>/<uuid:stay_id>/discharge/",
        views.stay_discharge,
        name="discharge",
    ),
    path(
        "patient/<uuid:patient_id>/<uuid:stay_id>/treatments/",
        views.stay_treatments,
        name="treatments",
    ),
    path(
        "patient/<uuid:patient_id>/<uuid:stay_id>/correct/",
        views.stay_correct,
        name="correct",
    ),
    path(
        "patient/<uuid:patient_id>/<uuid:stay_id>/entered-in-error/",
        views.stay_entered_in_error,
        name="entered_in_error",
    ),
]
