"""Resident ID numbers (GB 11643-1999) with real-format samples."""
from datetime import date

import pytest

from court import idnumbers
from tests.support.factories import id_number


@pytest.mark.parametrize("value", [
    "11010519491231002X",  # the example in GB 11643-1999 (Beijing Chaoyang, 1949-12-31, female)
    "11010519491231002x",  # lower-case check character
    "110101199003074514",
    "440305200002295516",  # born on 29 February of a leap year (Shenzhen Nanshan)
    "１１０１０５１９４９１２３１００２Ｘ",  # typed with a full-width keyboard
    " 1101 0519 4912 3100 2X ",
])
def test_valid_numbers(value):
    assert idnumbers.problem(value) is None


@pytest.mark.parametrize("value, reason", [
    ("11010519491231002", "18位"),
    ("1101051949123100234", "18位"),
    ("11010519491231002Y", "18位"),
    ("320311770706001", "第二代"),  # a 15-digit first-generation number
    ("990105194912310021", "地区码"),
    ("110105194902300020", "出生日期"),  # 30 February
    ("440305190102295517", "出生日期"),  # 29 February 1901 is not a date
    ("110105299912310020", "出生日期"),  # born in the future
    ("110105194912310021", "校验位"),
])
def test_invalid_numbers_say_why(value, reason):
    problem = idnumbers.problem(value)
    assert problem is not None and reason in problem


def test_leap_day_sample_checksum_is_real():
    assert idnumbers.check_digit("44030520000229551") == "6"


def test_birth_date_and_sex():
    assert idnumbers.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert idnumbers.sex("11010519491231002X") == "female"
    assert idnumbers.sex(id_number(seq="123")) == "male"
