"""Formats of the things staff type: phone numbers, VINs, licence plates.

Each has a normaliser (run as a WTForms filter, so what is stored and searched
is in one form) and a validator with a message that says what is expected.
"""
import re

from wtforms.validators import ValidationError

from i18n import lazy_gettext as _l

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_SERVICE = re.compile(r"^[48]00\d{7}$")
# ISO 3779 as used in China (GB 16735): 17 characters, never I, O or Q.
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# Province, issuing-office letter, then 5 characters (6 for new-energy plates);
# the last may be one of the special suffixes.
_PLATE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$")


def normalize_phone(value):
    if not value:
        return value
    value = re.sub(r"[\s()（）]", "", value.strip())
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix):].lstrip("-")
    return value


def normalize_vin(value):
    return re.sub(r"[\s-]", "", value).upper() if value else value


def normalize_plate(value):
    return re.sub(r"[\s·.\-]", "", value).upper() if value else value


def is_phone(value):
    return bool(_MOBILE.match(value) or _LANDLINE.match(value) or _SERVICE.match(value))


def is_vin(value):
    return bool(_VIN.match(value))


def phone(form, field):
    if field.data and not is_phone(field.data):
        raise ValidationError(_l(
            "Enter a mobile number (11 digits starting with 1) or a landline with its area code."))


def vin(form, field):
    """Say what is actually wrong: the length, the letters I, O and Q, or another character."""
    value = field.data
    if not value or is_vin(value):
        return
    if len(value) != 17:
        raise ValidationError(_l("A VIN has 17 letters and digits; you typed %(count)s.", count=len(value)))
    forbidden = sorted({c for c in value if c in "IOQ"})
    if forbidden:
        raise ValidationError(_l("A VIN never contains the letters I, O or Q (to tell them from 1 and 0): "
                                 "check %(letters)s.", letters=", ".join(forbidden)))
    raise ValidationError(_l("A VIN has only letters and digits."))


def plate(form, field):
    if field.data and not _PLATE.match(field.data):
        raise ValidationError(_l("Enter a plate like 沪A12345 or 沪AD12345."))
