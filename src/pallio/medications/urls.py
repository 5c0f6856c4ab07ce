from django.urls import path

from pallio.medications import views

app_name = "medications"

urlpatterns = [
    path("patients/<uuid:patient_id>/", views.medication_list, name="list"),
    path("patients/<uuid:patient_id>/stop/", views.medication_stop, name="stop"),
    path("review/", views.review_list, name="review"),
    path("review/mark/", views.review_mark, name="review_mark"),
]
