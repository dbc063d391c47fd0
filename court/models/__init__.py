"""The court domain as SQLAlchemy 2 typed models. Import from here, not from the submodules."""
from court.models.agents import AgentAuthority
from court.models.audit import AuditAnchor, AuditCheckpoint, AuditEvent, AuditHead
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
from court.models.other_service import OtherService
from court.models.people import (
    ChannelBinding,
    Consent,
    Court,
    FaceConsent,
    IdentityCheck,
    PartySession,
    Person,
    Staff,
    StaffRole,
)
from court.models.seals import SEAL_KINDS, Seal, SealUse
from court.models.templates import DocumentTemplate
from court.models.webhooks import WebhookAttempt, WebhookCursor, WebhookDelivery, WebhookEndpoint

# one name a line, sorted: branches that add models then merge without touching each other's lines
__all__ = [
    "AgentAuthority",
    "AuditAnchor",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "ChannelBinding",
    "Consent",
    "Court",
    "DeliveryReport",
    "DevMessage",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "DocumentTemplate",
    "DocumentVersion",
    "FaceConsent",
    "FlowStatus",
    "FlowStep",
    "IdentityCheck",
    "NoticePush",
    "Notification",
    "NotificationStatus",
    "OtherService",
    "Party",
    "PartyRole",
    "PartySession",
    "Person",
    "SEAL_KINDS",
    "Seal",
    "SealUse",
    "ServiceRecord",
    "SigningFlow",
    "SmsLink",
    "Staff",
    "StaffRole",
    "StepAction",
    "StepStatus",
    "WebhookAttempt",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
]
