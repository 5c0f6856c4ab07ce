from django.urls import path

from pallio.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("<uuid:patient_id>/", views.patient_home, name="patient_home"),
]
