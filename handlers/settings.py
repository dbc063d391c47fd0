"""The conversation's settings (channel-neutral), bound once per process by ``bot.init_app``."""
from __future__ import annotations

from pydantic import Field

from court.room_settings import RoomHolder, RoomSettings


class ConversationSettings(RoomSettings):
    # a step left half-way expires after this many seconds (the record is kept a day longer, so a
    # late reply is told the step expired instead of being misread)
    ttl: int = Field(1800, alias="WECHAT_CONVERSATION_TTL", gt=0)


_holder: RoomHolder[ConversationSettings] = RoomHolder("bot.init_app()", ConversationSettings)
bind, current, configure = _holder.bind, _holder.current, _holder.configure
