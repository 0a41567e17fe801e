"""What the surveillance app announces to the apps built on it, without importing them.

The notifications app sits above this one (it reads cameras and alerts): it subscribes to these in its
``AppConfig.ready``. Both are sent inside the transaction that stores the change, with ``alert=``, and
with ``send`` (not ``send_robust``): a receiver's writes (an outbox row) commit with the alert or not at
all, and a receiver that fails rolls the alert back rather than losing its part silently.
"""

from django.dispatch import Signal

# An alert (an event) was stored: opened, or a seed client's alert, stored already closed.
alert_opened = Signal()
# An event closed: once per transition to closed (a seed client's alert closes as it is stored).
alert_closed = Signal()
# An event's clip (one segment) was stored: ``alert=`` and ``clip=``, once per segment.
clip_stored = Signal()
# A camera's worker reported its stream state: ``camera=``, ``previous=`` (the state before), ``state=``,
# ``at=`` (the recordings app keeps the outages: a recording gap's cause).
heartbeat_recorded = Signal()
