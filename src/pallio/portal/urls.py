from django.urls import path

from pallio.portal import checkin_views, diary_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("<uuid:patient_id>/", views.patient_home, name="patient_home"),
    path("<uuid:patient_id>/diary/", diary_views.diary_page, name="diary"),
    path("<uuid:patient_id>/check-in/", checkin_views.checkin_page, name="checkin"),
]
