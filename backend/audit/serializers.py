"""The audit API's input (filters) and output (one record)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from audit.actions import AuditAction
from audit.models import AuditRecord

# Query parameters the list understands besides the filters: a parameter outside both is a 400, so that a
# misspelt filter (``?usr=``) is never answered with every record as if it had matched.
PAGING_PARAMETERS = frozenset({"page", "page_size", "format", "pagination", "cursor"})
ID_MAX = 2**63 - 1


class AuditFilterSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="A user's id.")
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False)
    camera = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="A camera's id."
    )
    team = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text="A team's id: its records, where the caller may read them (none otherwise).",
    )
    since = serializers.DateTimeField(required=False, help_text="From this moment (inclusive, ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Before this moment (ISO 8601).")

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields) - PAGING_PARAMETERS)
        if unknown:
            known = ", ".join([*self.fields, *sorted(PAGING_PARAMETERS)])
            raise serializers.ValidationError(
                {name: [f"Unknown parameter; the audit list takes {known}."] for name in unknown}
            )
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until <= since:
            raise serializers.ValidationError({"until": ["until must be after since."]})
        return attrs


class AuditRecordOutputSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True)
    camera = serializers.IntegerField(source="camera_id", allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)

    class Meta:
        model = AuditRecord
        fields = [
            "id", "at", "user", "username", "action", "object_type", "object_id", "summary",
            "client_address", "camera", "team",
        ]  # fmt: skip
        read_only_fields = fields


CSV_COLUMNS = AuditRecordOutputSerializer.Meta.fields


def page_of(serializer_class: type[serializers.Serializer], *, name: str) -> serializers.Serializer:
    """The OpenAPI shape of a page of ``serializer_class``: ``surveillance.schema.paginated``'s, which
    this app (below surveillance in the layers) cannot import."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(required=False, help_text="Total matches (page pages only)."),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
