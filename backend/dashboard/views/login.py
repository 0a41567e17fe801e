"""The dashboard's login page: the password form (while LOCAL_PASSWORDS is on), the single sign-on button."""

from django.conf import settings
from django.contrib.auth import views as auth_views

from sso.forms import PasswordLoginForm, passwords_off_message


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True
    authentication_form = PasswordLoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sso_provider_name=settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else "",
            local_passwords=settings.LOCAL_PASSWORDS,
            passwords_off_message="" if settings.LOCAL_PASSWORDS else passwords_off_message(),
            sso_failed=self.request.GET.get("sso") == "failed",
        )
        return context
