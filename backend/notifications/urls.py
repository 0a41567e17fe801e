"""Routes of the notifications API (contract: docs/contracts.md), included under /api/notifications/."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("channels/", views.ChannelListCreateApi.as_view(), name="notification-channel-list"),
    path("channels/<int:pk>/", views.ChannelDetailApi.as_view(), name="notification-channel-detail"),
    path("channels/<int:pk>/test/", views.ChannelTestApi.as_view(), name="notification-channel-test"),
    path("deliveries/", views.DeliveryListApi.as_view(), name="notification-delivery-list"),
    path("deliveries/<int:pk>/", views.DeliveryDetailApi.as_view(), name="notification-delivery-detail"),
]
