"""Single sign-on routes, mounted at /sso/ (namespace ``sso``)."""

from django.urls import path

from sso.oidc import OidcCallbackView, OidcLoginView

app_name = "sso"
urlpatterns = [
    path("oidc/login/", OidcLoginView.as_view(), name="oidc-login"),
    path("oidc/callback/", OidcCallbackView.as_view(), name="oidc-callback"),
]
