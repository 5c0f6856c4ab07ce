from django.urls import path

from pallio.programs import views

app_name = "programs"

urlpatterns = [
    path("settings/", views.settings_edit, name="settings"),
    path("referral-form/", views.referral_form, name="referral_form"),
    path("referral-form/poster/", views.poster, name="poster"),
]
