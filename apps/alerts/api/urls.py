from django.urls import path

from apps.alerts.api import views

urlpatterns = [
    path("projects/<int:project_id>/channels", views.ChannelListView.as_view(), name="channel-list"),
    path("projects/<int:project_id>/channels/<int:channel_id>", views.ChannelDetailView.as_view(),
         name="channel-detail"),
    path("projects/<int:project_id>/channels/<int:channel_id>/test", views.ChannelTestView.as_view(),
         name="channel-test"),
    path("projects/<int:project_id>/deliveries", views.DeliveryLogView.as_view(), name="delivery-log"),
]
