from django.urls import path

from pallio.medications import views

app_name = "medications"

urlpatterns = [
    path("patients/<uuid:patient_id>/", views.medication_list, name="list"),
    path("patients/<uuid:patient_id>/stop/", views.medication_stop, name="stop"),
    path("patients/<uuid:patient_id>/allergies/", views.allergy_add, name="allergy_add"),
    path(
        "patients/<uuid:patient_id>/allergies/none-known/",
        views.allergy_none_known,
        name="allergy_none_known",
    ),
    path("patients/<uuid:patient_id>/allergies/end/", views.allergy_end, name="allergy_end"),
    path("review/", views.review_list, name="review"),
    path("review/mark/", views.review_mark, name="review_mark"),
]
