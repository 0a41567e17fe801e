"""Dashboard routes."""

app_name = "dashboard"
urlpatterns: list = []
