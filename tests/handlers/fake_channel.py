"""A chat channel that is not WeChat: the conversation driven through its public interface only
(:func:`handlers.conversation.handle` and :func:`handlers.conversation.face_result`), as another
channel would drive it tomorrow. No XML, no HTTP, no simulator."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from handlers import conversation, state, types
from handlers.types import Inbound, Reply

# The court's records name the channel an address belongs to, from a closed list (a face consent
# is given on "wechat" or "web": court.services.face_consent.CHANNELS), so the fake speaks under the
# chat channel's name; nothing of WeChat's transport (XML, signatures, the API client) is involved.
NAME = "wechat"


@dataclass
class FakeChannel:
    """Records what the conversation asked of the channel."""

    name: str = NAME
    face_requests: list[tuple[int, str]] = field(default_factory=list)  # (person id, photo ref)
    deliveries: list[str] = field(default_factory=list)

    def document_url(self, document_id: int) -> str:
        return f"https://court.test/m/documents/{document_id}"

    def request_face_check(self, s: Session, person_id: int, inbound: Inbound) -> None:
        self.face_requests.append((person_id, inbound.media_id or ""))

    def report_delivery(self, s: Session, inbound: Inbound) -> None:
        self.deliveries.append(inbound.ref or "")


def shown(replies: list[Reply]) -> str:
    """The replies as the user reads them: texts, each followed by its links' labels."""
    return "\n".join("\n".join([r.text, *(f"[{link.label}] {link.url}" for link in r.links)]) for r in replies)


@dataclass
class Chat:
    """One user talking to the conversation on the fake channel; every message is its own transaction."""

    s: Session
    user: str = "fake-user-1"
    channel: FakeChannel = field(default_factory=FakeChannel)
    photos: int = 0

    def _send(self, inbound: Inbound) -> str:
        replies = conversation.handle(self.s, inbound, self.channel)
        self.s.commit()
        return shown(replies)

    def say(self, text: str) -> str:
        return self._send(Inbound(channel=NAME, user=self.user, kind=types.TEXT, text=text))

    def click(self, key: str) -> str:
        return self._send(Inbound(channel=NAME, user=self.user, kind=types.EVENT, event=types.CLICK, key=key))

    def photo(self) -> str:
        self.photos += 1
        return self._send(Inbound(channel=NAME, user=self.user, kind=types.IMAGE, media_id=f"photo-{self.photos}"))

    @property
    def step(self) -> str:
        return state.load(NAME, self.user).step

    def face_check_finishes(self, *, ok: bool = True) -> str:
        """The check the channel was asked for finishes (the development verifier's verdict, given)."""
        from court.services import identity_checks

        assert self.channel.face_requests, "the conversation never asked this channel for a face check"
        person_id, ref = self.channel.face_requests[-1]
        check = identity_checks.open_check(self.s, person_id=person_id, method="face", provider="development",
                                           channel=NAME, holder_id=identity_checks.holder(NAME, self.user))
        identity_checks.decide(self.s, check, ok=ok, result="pass" if ok else "fail")
        self.s.flush()
        outcome = {"check": check.id, "ok": ok,
                   "message_zh": "人脸识别验证通过" if ok else "人脸识别验证未通过"}
        replies = conversation.face_result(self.s, self.channel, self.user, outcome, ref)
        self.s.commit()
        return shown(replies)
