from django.urls import path

from pallio.accounts import views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("invite/", views.invite, name="invite"),
    path("invite/withdraw/", views.invitation_withdraw, name="invitation_withdraw"),
    path("new-program/", views.program_new, name="program_new"),
    path("<uuid:staff_id>/", views.staff_detail, name="detail"),
    path("<uuid:staff_id>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("<uuid:staff_id>/second-factor/", views.second_factor_reset, name="second_factor"),
]
