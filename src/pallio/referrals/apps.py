from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "pallio.referrals"
    label = "referrals"
    verbose_name = "Referrals"
