"""Filtering events by the zone their objects were seen in (issue 24's review filters).

An alert does not name a zone; each of its objects (``seen_objects``) lists the zones it was seen in.
An alert is "in" a zone when any of its objects was.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from surveillance.models import Alert

# Zone names are at most this long (surveillance.validators: the camera's zones and the event's objects).
ZONE_NAME_MAX = 100


def filter_in_zone(queryset: QuerySet[Alert], zone: str) -> QuerySet[Alert]:
    if connection.vendor == "postgresql":
        # jsonb containment: some object whose zones hold this one.
        return queryset.filter(seen_objects__contains=[{"zones": [zone]}])
    # SQLite (development) has no JSON containment in Django; its json_each walks the same structure.
    table = Alert._meta.db_table
    sql = (
        f"EXISTS (SELECT 1 FROM json_each({table}.seen_objects) AS seen, "  # noqa: S608 (a table name)
        "json_each(seen.value, '$.zones') AS zone WHERE zone.value = %s)"
    )
    # The zone is a bound parameter, never part of the SQL text.
    in_zone = RawSQL(sql, [zone], output_field=BooleanField())  # noqa: S611
    return queryset.alias(in_zone=in_zone).filter(in_zone=True)
