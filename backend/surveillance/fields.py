"""Serializer fields that every domain's API shares: object ids and unit fractions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from surveillance.ids import is_id


class IdField(serializers.IntegerField):
    """An object id: ASCII digits only ("\u00b2" and "\u0661" are digits to Python, not ids), 1 .. 2**63-1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not is_id(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class UnitFloat(serializers.FloatField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0.0, max_value=1.0, **kwargs)
