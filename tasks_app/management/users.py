"""How management commands name users: by natural key, whatever the user model."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def natural_user(name: str):
    """The user whose USERNAME_FIELD is ``name`` (the natural key ``createsuperuser`` asks)."""
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(name)
    except User.DoesNotExist:
        raise CommandError(f"No user with {User.USERNAME_FIELD} {name!r}.") from None
