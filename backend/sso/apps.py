from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from sso.forms import AdminPasswordLoginForm

        # The admin's password form refuses while LOCAL_PASSWORDS is off, as the dashboard's does.
        admin.site.login_form = AdminPasswordLoginForm
