"""One validator per concept, asked by every channel: what people type is accepted or refused the same
way in the bot, the party pages, the console and the API."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from court import casenumbers, chinatime, names, phones
from court.errors import DomainError


@pytest.mark.parametrize("typed, stored", [
    ("王䶮", "王䶮"),  # Extension A
    ("吉𠮷", "吉𠮷"),  # Extension B (outside the Basic Multilingual Plane)
    ("买买提•艾力", "买买提·艾力"),  # a look-alike of the middle dot
    ("买买提 · 艾力", "买买提·艾力"),
    (" 张 三 ", "张三"),
])
def test_names_on_the_identity_card_are_accepted(typed, stored):
    assert names.problem(typed) is None
    assert names.validated(typed) == stored


def test_a_latin_name_is_refused_with_what_to_do_instead():
    reason = names.problem("John Smith")
    assert reason is not None and "外籍" in reason and "法院" in reason
    with pytest.raises(DomainError) as exc:
        names.validated("John Smith")
    assert exc.value.code == "bad_name"


@pytest.mark.parametrize("typed", ["", "王", "张三1", "·张三", "张三·", "😀😀"])
def test_names_that_cannot_be_on_an_identity_card_are_refused(typed):
    assert names.problem(typed) is not None


@pytest.mark.parametrize("typed", [
    "13800138000", "＋８６ 138-0013-8000", "+86 138 0013 8000", "0086 13800138000", "8613800138000",
    "１３８００１３８０００", "(138) 0013-8000",
])
def test_phones_in_every_typed_form(typed):
    assert phones.validated(typed) == "13800138000"


@pytest.mark.parametrize("typed", ["1380013800", "23800138000", "+1 415 555 0100", "138001380001", "电话"])
def test_not_a_mainland_mobile(typed):
    with pytest.raises(DomainError) as exc:
        phones.validated(typed)
    assert exc.value.code == "bad_phone"


@pytest.mark.parametrize("typed", [
    "（2026）京0491民初123号", "(2026)京0491民初123号", "〔2026〕京0491民初123号", "【2026】京0491民初123号",
    " ( 2026 ) 京0491民初１２３号 ", "（２０２６）京0491民初123号",
])
def test_case_numbers_get_one_pair_of_full_width_brackets(typed):
    assert casenumbers.validated(typed) == "（2026）京0491民初123号"


@pytest.mark.parametrize("typed", ["2026京0491民初123号", "（26）京民初1号", "（2026）京0491民初123"])
def test_malformed_case_numbers_are_refused(typed):
    with pytest.raises(DomainError) as exc:
        casenumbers.validated(typed)
    assert exc.value.code == "bad_case_number"


def test_case_number_fragments_normalise_for_search():
    assert casenumbers.normalize("(2026)京") == "（2026）京"


def test_china_time_is_utc_plus_eight_and_takes_naive_utc():
    at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert chinatime.shown(at) == "2027-01-01 00:30"
    assert chinatime.shown(at.replace(tzinfo=None)) == "2027-01-01 00:30"
