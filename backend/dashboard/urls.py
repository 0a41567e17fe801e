"""Dashboard routes (mounted at /dashboard/ with the namespace ``dashboard``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard.views import (
    alerts,
    cameras,
    groups,
    live,
    login,
    notifications,
    stats,
    teams,
    timeline,
    tokens,
    zones,
)

app_name = "dashboard"
urlpatterns = [
    path("", alerts.alert_list, name="index"),
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("alerts/poll/", alerts.alert_poll, name="alert-poll"),
    path("alerts/acknowledge/", alerts.alerts_acknowledge, name="alerts-acknowledge"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/review/", alerts.alerts_review, name="alerts-review"),
    path("alerts/<int:alert_id>/review/", alerts.alert_review, name="alert-review"),
    path("cameras/", cameras.camera_list, name="cameras"),
    path("cameras/new/", cameras.camera_create, name="camera-create"),
    path("cameras/<int:camera_id>/", cameras.camera_edit, name="camera-edit"),
    path("cameras/<int:camera_id>/activate/", cameras.camera_activate, name="camera-activate"),
    path("cameras/<int:camera_id>/deactivate/", cameras.camera_deactivate, name="camera-deactivate"),
    path("cameras/<int:camera_id>/zones/", zones.zone_editor, name="zones"),
    path("cameras/<int:camera_id>/live/", live.camera_live, name="live"),
    path("cameras/<int:camera_id>/timeline/", timeline.camera_timeline, name="timeline"),
    path("live/", live.camera_wall, name="wall"),
    path("statistics/", stats.statistics, name="statistics"),
    path("notifications/", notifications.channel_list, name="notifications"),
    path("notifications/channels/new/", notifications.channel_create, name="channel-create"),
    path("notifications/channels/<int:channel_id>/", notifications.channel_edit, name="channel-edit"),
    path("notifications/channels/<int:channel_id>/test/", notifications.channel_test, name="channel-test"),
    path(
        "notifications/channels/<int:channel_id>/delete/", notifications.channel_delete, name="channel-delete"
    ),
    path("notifications/deliveries/", notifications.delivery_log, name="deliveries"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("team/", teams.team_switch, name="team-switch"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<int:team_id>/", teams.team_detail, name="team"),
    path("teams/<int:team_id>/members/", teams.member_add, name="team-member-add"),
    path("teams/<int:team_id>/members/<int:user_id>/role/", teams.member_role, name="team-member-role"),
    path("teams/<int:team_id>/members/<int:user_id>/remove/", teams.member_remove, name="team-member-remove"),
    path(
        "teams/<int:team_id>/members/<int:user_id>/groups/", groups.member_groups, name="team-member-groups"
    ),
    path("teams/<int:team_id>/groups/", groups.group_create, name="team-group-create"),
    path("teams/<int:team_id>/groups/<int:group_id>/", groups.group_edit, name="team-group-edit"),
    path("teams/<int:team_id>/groups/<int:group_id>/delete/", groups.group_delete, name="team-group-delete"),
    path(
        "teams/<int:team_id>/service-accounts/",
        teams.service_account_create,
        name="team-service-account-create",
    ),
    path(
        "teams/<int:team_id>/service-accounts/<int:account_id>/delete/",
        teams.service_account_delete,
        name="team-service-account-delete",
    ),
    path(
        "teams/<int:team_id>/service-accounts/<int:account_id>/tokens/<int:token_id>/revoke/",
        teams.service_account_token_revoke,
        name="team-service-account-token-revoke",
    ),
]
