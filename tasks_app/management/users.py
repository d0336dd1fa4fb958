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


def add_actor_arguments(parser) -> None:
    """``--user`` and ``--reason`` of the commands that act as an operator."""
    parser.add_argument(
        "--user",
        help="act as this user, by the user model's USERNAME_FIELD: their permissions apply "
        "and the audit trail names them; default: the system (shell access is trusted)",
    )
    parser.add_argument("--reason", default="", help="why, for the audit trail")


def actor(options):
    """The user ``--user`` names, or None: the system."""
    return natural_user(options["user"]) if options.get("user") else None
