from django.urls import path

from pallio.episodes import views

app_name = "episodes"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("<uuid:owner>/", views.caseload, name="caseload_of"),
]
