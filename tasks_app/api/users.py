"""Users as the API shows and filters them, whatever the host's user model.

A user id keeps the type of the user model's primary key: a number for integer keys, a
string otherwise (UUID, text). The name is ``get_username()``, so models whose
``USERNAME_FIELD`` is ``email`` (and have no ``username``) work alike.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django_filters import Filter
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers


def user_pk_field() -> models.Field:
    """The field holding user ids (through a parent link, for a user model that inherits)."""
    field = get_user_model()._meta.pk
    while isinstance(field, models.ForeignKey):  # multi-table inheritance: the parent's key
        field = field.target_field
    return field


def user_id_schema() -> dict[str, Any]:
    field = user_pk_field()
    if isinstance(field, models.IntegerField):  # auto fields too
        return {"type": "integer"}
    if isinstance(field, models.UUIDField):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def render_user_id(value: Any) -> int | str | None:
    """A user id as JSON: integers stay numbers; a UUID or text key becomes a string."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value)


class UserIdField(serializers.Field):
    """A read-only user id in the type of the user model's primary key."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> int | str | None:
        return render_user_id(value)


class UserIdFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of a user id follows the user model, read when the schema is built."""

    target_class = UserIdField

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        return user_id_schema()


class UserRefSerializer(serializers.Serializer):
    id = UserIdField(source="pk")
    username = serializers.CharField(
        source="get_username", read_only=True, help_text="The user's USERNAME_FIELD."
    )


class UserIdFormField(forms.Field):
    """A user id typed as the user model's primary key; anything else is invalid."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        field = user_pk_field()
        try:
            value = field.to_python(value)
            field.run_validators(value)  # the column's range or length: never a database error
        except ValidationError:
            raise ValidationError("Not a valid user id.", code="invalid") from None
        return value


class UserIdFilter(Filter):
    """Filters on a foreign key to the user by id, whatever type the id has."""

    field_class = UserIdFormField
