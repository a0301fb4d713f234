"""API permission rules shared by every app."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import INTEGRATION_MANAGER_MESSAGE, INTEGRATION_MANAGER_PERM


class IntegrationManagerForWrites(BasePermission):
    """Any account member may read; writing needs the Integration Manager permission."""

    message = INTEGRATION_MANAGER_MESSAGE

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return request.user.has_perm(INTEGRATION_MANAGER_PERM)
