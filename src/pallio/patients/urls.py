from django.urls import path

from pallio.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.search, name="search"),
    path("<uuid:patient_id>/", views.chart, name="chart"),
    path("<uuid:patient_id>/break-glass/", views.break_glass, name="break_glass"),
    path("<uuid:patient_id>/timeline/", views.timeline, name="timeline"),
]
