"""Publishing channels: the dry-run outbox (default) and Facebook, behind one protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intel.errors import CounterflowError

if TYPE_CHECKING:
    from campaigns.delivery.channels.base import SendingChannel
    from intel.settings import Settings

CHANNELS = ("outbox", "facebook", "facebook-sandbox")


def get_channel(name: str, settings: Settings, **options: object) -> SendingChannel:
    """The channel called ``name`` ("outbox" or "facebook"), configured from ``settings``."""
    if name == "outbox":
        from campaigns.delivery.channels.outbox import OutboxChannel

        return OutboxChannel(settings)
    if name == "facebook":
        from campaigns.delivery.channels.facebook import FacebookChannel

        return FacebookChannel(settings, **options)  # type: ignore[arg-type]
    if name == "facebook-sandbox":
        from campaigns.delivery.channels.facebook import FacebookChannel

        return FacebookChannel(settings, sandbox=True, **options)  # type: ignore[arg-type]
    raise CounterflowError(f"channel was {name!r}", f"use one of {', '.join(CHANNELS)}")
