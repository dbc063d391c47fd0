"""Signing flows: the ordered steps (approve, seal, sign, receive) a document goes through."""
from __future__ import annotations

import enum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from court.db import Base
from court.models._types import created, enum_col, intpk, when
from court.models.cases import Party
from court.models.documents import Document
from court.models.people import Staff


class FlowStatus(str, enum.Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    REFUSED = "refused"  # a signer refused; recorded, the flow still completes its other steps
    RETURNED = "returned"  # the seal keeper refused approval: nothing sealed, staff correct and start again
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepAction(str, enum.Enum):
    APPROVE = "approve"  # the person in charge approves use of the seal
    SEAL = "seal"  # the court seal: certification signature
    SIGN = "sign"  # a party / judge / clerk: approval signature
    RECEIVE = "receive"  # a party signs for receipt (e-service)


class StepStatus(str, enum.Enum):
    WAITING = "waiting"
    READY = "ready"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


class SigningFlow(Base):
    __tablename__ = "signing_flow"

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    ordered: Mapped[bool] = mapped_column(Boolean, default=True)  # False: signers act in parallel
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seal.id"))  # which seal; None = the court seal
    status: Mapped[FlowStatus] = mapped_column(enum_col(FlowStatus), default=FlowStatus.RUNNING)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[created]
    completed_at: Mapped[when]

    document: Mapped[Document] = relationship()
    steps: Mapped[list[FlowStep]] = relationship(back_populates="flow", order_by="FlowStep.position")

    @property
    def returned_reason(self) -> str | None:
        """Why the seal keeper returned the flow (the refused approval's reason)."""
        if self.status is not FlowStatus.RETURNED:
            return None
        return next((st.refusal_reason for st in self.steps
                     if st.action is StepAction.APPROVE and st.status is StepStatus.REFUSED), None)


class FlowStep(Base):
    """One act in a flow. Exactly one of ``staff_id`` / ``party_id`` names the actor, except a
    SEAL step, which the signing service performs with the court's key."""

    __tablename__ = "flow_step"

    id: Mapped[intpk]
    flow_id: Mapped[int] = mapped_column(ForeignKey("signing_flow.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[StepAction] = mapped_column(enum_col(StepAction))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    status: Mapped[StepStatus] = mapped_column(enum_col(StepStatus), default=StepStatus.WAITING)
    # where the visible seal / signature goes; page is 1-based, -1 = last page; PDF points
    page: Mapped[int] = mapped_column(Integer, default=-1)
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    width: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    acted_at: Mapped[when]
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    # the version carrying the court's sealed note of this step's refusal (CPL art. 150)
    note_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))

    flow: Mapped[SigningFlow] = relationship(back_populates="steps")
    staff: Mapped[Staff | None] = relationship()
    party: Mapped[Party | None] = relationship()
