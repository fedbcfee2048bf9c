"""Column names a person would recognise, and what each one asks for.

A name is read case-insensitively and in snake or camel case (``billingEmail`` is ``billing_email``); patterns match
whole words at the end of the name, so prefixes such as ``billing_`` or ``home_`` need no rule of their own. The first
rule of the column's family (text, number, time, flag) that matches wins; the order below puts the specific before
the general (``user_name`` before ``name``, ``total_count`` before ``total``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from seedkit.seeding.auto.spec import TypeKind

Family = str  # "text", "number", "time" or "flag"
_FAMILIES: dict[TypeKind, Family] = {
    "text": "text", "integer": "number", "float": "number", "decimal": "number",
    "date": "time", "datetime": "time", "boolean": "flag",
}


@dataclass(frozen=True)
class NameRule:
    """One recognised name: ``label`` is what ``--plan`` reports (``name matches <label>``)."""

    label: str
    family: Family
    pattern: re.Pattern[str]


def _rule(label: str, family: Family, pattern: str) -> NameRule:
    return NameRule(label, family, re.compile(pattern))


_AT = r"(_at|_on|_date|_time|_ts|_timestamp)?"
RULES: tuple[NameRule, ...] = (
    # text
    _rule("email", "text", r"(^|_)e_?mail(_address|_addr)?$"),
    _rule("username", "text", r"(^|_)(user_?name|login|handle|nick_?name|screen_name)$"),
    _rule("first name", "text", r"(^|_)(first_?name|given_?name|fore_?name|fname)$"),
    _rule("last name", "text", r"(^|_)(last_?name|sur_?name|family_?name|lname)$"),
    _rule("company", "text", r"(^|_)(company(_name)?|organi[sz]ation(_name)?|employer|business_name|org_name)$"),
    _rule("country code", "text", r"(^|_)country_?(code|iso\d?)$|^iso_?(2|3|alpha_?[23])$"),
    _rule("currency", "text", r"(^|_)(currency|ccy)(_code)?$"),
    _rule("language", "text", r"(^|_)(lang|language|locale)(_code)?$"),
    _rule("country", "text", r"(^|_)country(_name)?$"),
    _rule("city", "text", r"(^|_)(city|town)(_name)?$"),
    _rule("postcode", "text", r"(^|_)(post_?code|postal_?code|zip_?code|zip)$"),
    _rule("region", "text", r"(^|_)(province|region|county)$|^(billing|shipping|home|mailing|address|work)_state$"),
    _rule("address line 2", "text", r"(^|_)(address_?(line_?)?2|street_?2|apartment|suite)$"),
    _rule("address", "text", r"(^|_)(address(_?(line_?)?1)?|street(_address)?|street_?1)$"),
    _rule("phone", "text", r"(^|_)(phone(_?number|_?no)?|mobile|cell|tel|telephone|fax)$"),
    _rule("url", "text", r"(^|_)(url|website|web_?site|home_?page|link|href|uri)$"),
    _rule("slug", "text", r"(^|_)slug$"),
    _rule("uuid", "text", r"(^|_)(uuid|guid)$"),
    _rule("ip address", "text", r"(^|_)ip(_?address|_?addr|_?v4)?$"),
    _rule("json", "text", r"(^|_)(json|metadata|meta|settings|payload|preferences|attributes|config|options|extra)$"),
    _rule("color", "text", r"(^|_)colou?r(_code|_hex)?$"),
    _rule("code", "text", r"(^|_)(sku|code|reference|ref|serial(_number|_no)?)$"),
    _rule("status", "text", r"(^|_)(status|state)$"),
    _rule("type", "text", r"(^|_)(type|kind|category|tier)$"),
    _rule("title", "text", r"(^|_)(title|headline|subject|heading|caption|label)$"),
    _rule("person name", "text",
          r"^(full_?|display_|contact_|customer_|author_|owner_|person_|patient_|employee_|member_)?name$"),
    _rule("description", "text",
          r"(^|_)(description|desc|body|bio|biography|notes?|summary|content|comments?|about|text|message|details"
          r"|remarks|instructions)$"),
    _rule("name", "text", r"(^|_)name$"),
    # number
    _rule("latitude", "number", r"(^|_)(lat|latitude)$"),
    _rule("longitude", "number", r"(^|_)(lng|lon|long|longitude)$"),
    _rule("quantity", "number", r"(^|_)(quantity|qty|count|stock|units|num_[a-z]+)$"),
    _rule("price", "number",
          r"(^|_)(price|amount|total|cost|fee|subtotal|sub_total|salary|tax|discount)(_(net|gross|usd|eur|gbp))?$"),
    _rule("rating", "number", r"(^|_)(rating|stars|score)$"),
    _rule("age", "number", r"(^|_)age$"),
    _rule("percent", "number", r"(^|_)(percent|percentage|pct)$"),
    _rule("year", "number", r"(^|_)(year|yr)$"),
    # time
    _rule("created_at", "time", r"(^|_)(created|inserted|added|registered|joined|signed_up)" + _AT + "$"),
    _rule("updated_at", "time", r"(^|_)(updated|modified|changed|edited|last_login|last_seen)" + _AT + "$"),
    _rule("birth date", "time", r"(^|_)(dob|birth_?date|date_of_birth|birthday|born(_on)?)$"),
    _rule("starts_at", "time", r"(^|_)(start|starts|begin|begins|valid_from|scheduled)" + _AT + "$"),
    _rule("ends_at", "time", r"(^|_)(end|ends|finish|finishes|valid_until|expires|expiry|due)" + _AT + "$"),
    # flag
    _rule("is_*/has_*", "flag", r"^(is|has|can|should|allow|allows|was)_"),
)

# Realistic windows for the number rules: (low, high, decimal places when the column's type leaves them open).
NUMBER_WINDOWS: dict[str, tuple[Decimal, Decimal, int]] = {
    "latitude": (Decimal(-90), Decimal(90), 6),
    "longitude": (Decimal(-180), Decimal(180), 6),
    "quantity": (Decimal(1), Decimal(100), 0),
    "price": (Decimal(1), Decimal(1000), 2),
    "rating": (Decimal(1), Decimal(5), 0),
    "age": (Decimal(18), Decimal(90), 0),
    "percent": (Decimal(0), Decimal(100), 2),
    "year": (Decimal(1970), Decimal(2025), 0),
}

# Dates are fixed, never today's: the same seed must give the same rows next year too.
ANCHOR = dt.date(2025, 6, 30)
TIME_WINDOWS: dict[str, tuple[dt.date, dt.date]] = {
    "created_at": (dt.date(2023, 1, 1), ANCHOR),
    "updated_at": (dt.date(2023, 1, 1), ANCHOR),
    "birth date": (dt.date(1935, 7, 1), dt.date(2007, 6, 30)),  # adults of 18 to 90 on the anchor date
    "starts_at": (dt.date(2024, 7, 1), dt.date(2026, 6, 30)),
    "ends_at": (dt.date(2024, 8, 1), dt.date(2026, 12, 31)),
}
DEFAULT_TIME_WINDOW = (dt.date(2015, 1, 1), ANCHOR)

# What a status-like text column holds when no CHECK or ENUM lists its values.
STATUS_VALUES = ("active", "inactive", "pending")
TYPE_VALUES = ("standard", "premium", "basic")


def words(name: str) -> str:
    """A column name as lowercase snake case: ``billingEmail`` and ``Billing-Email`` are ``billing_email``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def match(name: str, kind: TypeKind) -> str | None:
    """The label of the first rule for ``kind``'s family that ``name`` matches, or None."""
    family = _FAMILIES.get(kind)
    if family is None:
        return None
    normal = words(name)
    for rule in RULES:
        if rule.family == family and rule.pattern.search(normal):
            return rule.label
    return None


__all__ = ["ANCHOR", "DEFAULT_TIME_WINDOW", "NUMBER_WINDOWS", "NameRule", "RULES", "STATUS_VALUES", "TIME_WINDOWS",
           "TYPE_VALUES", "match", "words"]
