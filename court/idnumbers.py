"""Resident identity card numbers (GB 11643-1999): 18 characters, region, birth date, checksum."""
from __future__ import annotations

import unicodedata
from datetime import date

from court import validation

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# first two digits: province-level region codes in use
_PROVINCES = {
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
}


def normalize(value: str) -> str:
    """Full-width digits and letters (typed on Chinese keyboards) become ASCII; spaces go."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=False)) % 11]


def problem(value: str, today: date | None = None) -> str | None:
    """Return why ``value`` is not a valid ID number (Chinese), or None when it is valid."""
    v = normalize(value)
    if len(v) == 15 and v.isdigit():
        return "请使用18位的第二代居民身份证号码"
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return "身份证号码应为18位，最后一位可以是数字或X"
    if int(v[:2]) not in _PROVINCES:
        return "身份证号码的地区码不正确"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号码中的出生日期不正确"
    if born > (today or date.today()) or born.year < 1900:
        return "身份证号码中的出生日期不正确"
    if check_digit(v[:17]) != v[17]:
        return "身份证号码校验位不正确，请核对"
    return None


def birth_date(value: str) -> date:
    """The date of birth encoded in a valid ID number (characters 7–14)."""
    v = normalize(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def sex(value: str) -> str:
    """``"male"`` or ``"female"``: the 17th character is odd for men, even for women."""
    return "male" if int(normalize(value)[16]) % 2 else "female"


def validated(value: str) -> str:
    """The normalised ID number, or a DomainError the person can act on."""
    return validation.validated(value, problem, normalize, "bad_id_number")
