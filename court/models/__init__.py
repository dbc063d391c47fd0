"""The court domain as SQLAlchemy 2 typed models. Import from here, not from the submodules."""
from court.models.audit import AuditEvent, AuditHead
from court.models.cases import Case, CaseEvent, CaseStatus, Party, PartyRole
from court.models.documents import Document, DocumentKind, DocumentStatus, DocumentVersion
from court.models.flows import FlowStatus, FlowStep, SigningFlow, StepAction, StepStatus
from court.models.notifications import (
    DeliveryReport,
    DevMessage,
    NoticePush,
    Notification,
    NotificationStatus,
    ServiceRecord,
    SmsLink,
)
from court.models.people import (
    ChannelBinding,
    Consent,
    Court,
    FaceConsent,
    IdentityCheck,
    Person,
    Staff,
    StaffRole,
)

__all__ = [
    "AuditEvent", "AuditHead", "Case", "CaseEvent", "CaseStatus", "ChannelBinding", "Consent", "Court", "FaceConsent",
    "DeliveryReport", "DevMessage", "Document", "IdentityCheck", "DocumentKind", "DocumentStatus", "DocumentVersion", "FlowStatus", "FlowStep", "Notification",
    "NotificationStatus", "NoticePush", "Party", "PartyRole", "Person", "ServiceRecord", "SigningFlow", "Staff", "StaffRole",
    "SmsLink", "StepAction", "StepStatus",
]
