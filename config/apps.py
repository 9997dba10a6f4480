from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin with the site of config/admin.py (Django's documented way to replace the default site)."""

    default_site = "config.admin.StaffAdminSite"
