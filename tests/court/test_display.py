"""Names of domain values: each enum keeps its own words even where values coincide."""
from datetime import UTC, datetime

from court import display
from court.models import FlowStatus, NotificationStatus, PartyRole, StepStatus


def test_same_value_different_enums_keep_their_own_names():
    assert display.label(FlowStatus.RUNNING) == "进行中"
    assert display.label(StepStatus.RUNNING) == "处理中"
    assert display.label(NotificationStatus.FAILED) == "发送失败"
    assert display.label(StepStatus.FAILED) == "失败"


def test_labels_translate_and_times_are_beijing_time():
    assert display.label(PartyRole.DEFENDANT) == "被告"
    assert display.label(PartyRole.DEFENDANT, "en") == "Defendant"
    assert display.label("sms", "en") == "SMS"
    assert display.local_time(datetime(2026, 11, 22, 23, 30, tzinfo=UTC)) == "2026-11-23 07:30"
    assert display.local_time(None) == "—"
