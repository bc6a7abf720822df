from .models import Notification


def bell(request):
    """The unread count of the bell on every page: one query for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count()}
