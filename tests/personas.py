"""API clients acting as a member of a project with one role (the personas of the authorisation tests)."""

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.core.services import membership_set


def client_for(project, role: str) -> APIClient:
    user = get_user_model().objects.create_user(f"{role}-{project.pk}", password="pw-123456789")
    membership_set(project, user, role)
    client = APIClient()
    client.force_authenticate(user)
    return client
