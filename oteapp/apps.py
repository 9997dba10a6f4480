from django.apps import AppConfig


class OteappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oteapp"
    verbose_name = "OTE & team performance"
