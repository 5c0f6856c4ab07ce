"""The 24/7 support line, mounted at /support/.

Path parameters: `slot_id` (a slot of the program's weekly on-call pattern) and `shift_id` (a
shift of the program's roster). An id of another program's roster is a 404.
"""

from typing import Any

from django.urls import path

from pallio.support import roster_views

app_name = "support"
urlpatterns: list[Any] = []

# The on-call roster.
urlpatterns += [
    path("roster/", roster_views.roster_page, name="roster"),
    path("roster/pattern/", roster_views.pattern_page, name="roster_pattern"),
    path("roster/pattern/<uuid:slot_id>/", roster_views.pattern_slot_edit, name="roster_slot"),
    path(
        "roster/pattern/<uuid:slot_id>/remove/",
        roster_views.pattern_slot_remove,
        name="roster_slot_remove",
    ),
    path("roster/build/", roster_views.roster_build, name="roster_build"),
    path("roster/shifts/new/", roster_views.shift_new, name="roster_shift_new"),
    path("roster/shifts/<uuid:shift_id>/swap/", roster_views.shift_swap, name="roster_swap"),
    path("roster/shifts/<uuid:shift_id>/cancel/", roster_views.shift_cancel, name="roster_cancel"),
]
