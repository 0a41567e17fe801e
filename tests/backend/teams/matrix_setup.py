"""Run inside the matrix test's backend (``manage.py shell``): one team ``T`` with a member of every role
and a row of every kind, another team ``U`` (its owner is the outsider; its camera's ingest token is the
camera principal), a former member of ``T``, and an admin of ``T`` narrowed to a camera group that holds
another camera of ``T`` (none of the marked rows). Prints the ids, tokens and session keys as JSON."""

import base64
import datetime
import io
import json

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from api_tokens.services import service_account_create_with_token
from exports.models import Export
from notifications import services as notification_services
from notifications.models import Delivery
from surveillance.cameras import selectors
from surveillance.cameras import services as camera_services
from surveillance.events import services as event_services
from teams.services import camera_group_create, member_add, team_create

MARK = "zq7secret"  # in every row of T: an answer that holds it shows T's rows


def jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(out, format="JPEG")
    return base64.b64encode(out.getvalue()).decode()


def principal(user) -> dict:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "id": user.pk,
        "token": Token.objects.get_or_create(user=user)[0].key,
        "session": session.session_key,
    }


User = get_user_model()
owner = User.objects.create_user(username="t-owner", password="x-unused-password-1")
team = team_create(user=owner, name=f"{MARK} team")
out: dict = {"principals": {"owner": principal(owner)}}
for role in ("admin", "operator", "viewer", "auditor", "removed"):
    user = User.objects.create_user(username=f"t-{role}", password="x-unused-password-1")
    member_add(team=team, username=user.username, role="viewer" if role == "removed" else role)
    out["principals"][role] = principal(user)
outsider = User.objects.create_user(username="u-owner", password="x-unused-password-1")
other = team_create(user=outsider, name="U")
out["principals"]["outsider"] = principal(outsider)
u_camera = camera_services.camera_create(
    user=outsider, team=other.pk, name="U cam", rtsp_url="rtsp://10.0.0.2/u", is_active=True
)
out["ingest_token"] = selectors.camera_ingest_token(camera=u_camera)

camera = camera_services.camera_create(
    user=owner, team=team.pk, name=f"{MARK} cam", rtsp_url=f"rtsp://{MARK}:pw@10.0.0.3/t", is_active=True
)
alert, _ = event_services.alert_ingest(
    camera=camera, alert_type="person", confidence=0.9, image_base64=jpeg(), description=f"{MARK} alert"
)
channel = notification_services.channel_create(
    user=owner, team=team.pk, kind="email", name=f"{MARK} channel", addresses=["guard@example.com"]
)
event_services.alert_ingest(
    camera=camera, alert_type="fire", confidence=0.8, image_base64=jpeg(), description=MARK
)
delivery = Delivery.objects.filter(channel=channel).first()
moment = timezone.now()
export = Export.objects.create(user=owner, camera=camera, name=f"{MARK} export", start=moment, end=moment)
# The narrowed admin's camera: in T, in their group, no mark (what they may reach must not hold one).
inside = camera_services.camera_create(
    user=owner, team=team.pk, name="inside cam", rtsp_url="rtsp://10.0.0.6/inside", is_active=True
)
group = camera_group_create(team=team, name=f"{MARK} group", cameras=[inside.pk])
narrowed = User.objects.create_user(username="t-narrowed", password="x-unused-password-1")
member_add(team=team, username=narrowed.username, role="admin", groups=[group.pk])
out["principals"]["narrowed"] = principal(narrowed)
account = service_account_create_with_token(
    team=team, created_by=owner, name=f"{MARK} account", role="viewer", scope="read",
    expires_at=moment + datetime.timedelta(days=1),
)  # fmt: skip
out.update(
    team=team.pk,
    rows={
        "cameras": camera.pk,
        "alerts": alert.pk,
        "channels": channel.pk,
        "deliveries": delivery.pk if delivery else 0,
        "exports": export.pk,
        "teams": team.pk,
        "groups": group.pk,
        "inside": inside.pk,
        "service_accounts": account.account.pk,
        "service_account_tokens": account.created.token.pk,
    },
    snapshot=alert.snapshot.name,
    mark=MARK,
)
print(json.dumps(out))
