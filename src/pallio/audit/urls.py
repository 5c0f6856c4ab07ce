from django.urls import path

from pallio.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("denials/", views.denials, name="denials"),
]
