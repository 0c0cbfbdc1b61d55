"""Read publication dates as Arabic news sites write them.

`parse_date` turns the text of a date field (a ``<time datetime>`` value,
``article:published_time``, a byline such as "الثلاثاء 24 مارس 2015 - 18:02"
or "منذ 3 ساعات") into a timezone-aware `datetime`; `to_iso` writes one back
as ISO 8601 with its offset, to the second. `is_date_only` tells a date
line ("تم نشره الجمعة 24 نيسان 2020 09:22 مساءً") from a sentence with a
date in it, for the extractor that cuts date lines out of a body.

Forms read:

* ISO 8601 / RFC 3339 ("2015-03-24T18:02:00+03:00", "...Z", "2015-03-24 18:02",
  "2015-03-24", fractional seconds, "+0300") and RFC 2822 / HTTP dates
  ("Tue, 24 Mar 2015 15:02:00 GMT", read by `email.utils.parsedate_to_datetime`).
* Day, month name, year with the Arabic month names of every region:
  Egyptian/Gulf transliterations (مارس), Levantine/Iraqi Syriac names (آذار),
  Moroccan (شتنبر، غشت، يوليوز) and Algerian/Tunisian (جانفي، أوت، جوان), and
  the combined forms "آذار (مارس)" and "مارس/آذار".
* Numeric dates "2015/03/24" (year first) and "24/3/2015", "24-03-2015",
  "24.03.2015" (year last).  A numeric date with the year last is always read
  DAY FIRST, as Arabic sites write it: "03/04/2015" is 3 April.  A day-first
  reading that is not a date ("3/24/2015") gives None; it is never swapped.
* Times after or before the date: "18:02", "18:02:30", "6:02 م" / "مساءً"
  (PM), "6:02 ص" / "صباحاً" (AM), "الساعة 18:02"; 12 ص is 00h, 12 م is 12h.
  An offset after the time sets the zone: "Z", "+03:00", "+0300", "GMT+3",
  "GMT"/"UTC"/"توقيت غرينتش"/"ت.غ" (UTC) and Al Jazeera's "(مكة المكرمة)"
  (+03:00).  Without one, the date is in the zone named by `tz` (an IANA
  name, or a fixed `tzinfo` such as the offset a page states elsewhere).
* Relative forms, counted back from `now`: "منذ 3 ساعات", "منذ ساعتين",
  "منذ دقيقة", "منذ يومين", "منذ 3 أسابيع", "منذ شهر" (30 days),
  "منذ سنة" (365 days), "قبل ساعة", "منذ ساعة و 20 دقيقة"; "اليوم 18:02",
  "أمس" / "أمس 18:02", "أول أمس".
* Digits in ASCII, Arabic-Indic (٠-٩) and Eastern Arabic-Indic/Persian (۰-۹).

Weekday names and prefixes ("في", "بتاريخ", "نشر في", "آخر تحديث:") are
simply skipped: the parser looks for a date anywhere in the text.  When the
text holds several, the first one (leftmost) that is a real date wins, so
"نشر في ... | آخر تحديث ..." gives the publication date.  An absolute date
always wins over a relative form.

Why not the `dateparser` package: it misses several of the forms above (the
Maghrebi and Algerian month names, the combined "آذار (مارس)" form, the
"م"/"ص" markers, dual forms such as "منذ ساعتين") and is slow and heavy for
a crawler.  This module is plain `re` over a month table.

Month names and keywords are matched on a folded copy of the text (NFKC,
harakat and tatweel removed, أ/إ/آ/ٱ→ا, ة→ه, ى→ي, ئ→ي, digits to ASCII, lower
case); the folding is used for matching only.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["is_date_only", "parse_date", "to_iso"]


# --- folding -----------------------------------------------------------------

_FOLD = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},  # ٠-٩
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # ۰-۹
        **{chr(c): None for c in range(0x064B, 0x0660)},  # harakat, hamza/madda marks
        "\u0670": None,  # superscript alef
        "\u0640": None,  # tatweel
        **{ch: None for ch in "\u200b\u200c\u200d\u200e\u200f\u061c\ufeff"},
        **{chr(c): None for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ة": "ه", "ى": "ي", "ئ": "ي",
        "ی": "ي", "ک": "ك",  # Persian yeh and keheh typed on Persian keyboards
        "\u060d": "/",  # Arabic date separator
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
        "\u2212": "-",  # minus sign
    }
)


def _fold(text: str) -> str:
    """The matching form of `text` (see the module docstring)."""
    return unicodedata.normalize("NFKC", text).lower().translate(_FOLD)


# --- tables (written as sites spell them; folded when the regexes are built) --

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "كانون ثاني", "جانفي"),
    2: ("فبراير", "شباط", "فيفري"),
    3: ("مارس", "آذار"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل"),
    5: ("مايو", "أيار", "ماي"),
    6: ("يونيو", "يونية", "حزيران", "جوان"),
    7: ("يوليو", "يولية", "تموز", "يوليوز", "جويلية"),
    8: ("أغسطس", "آب", "غشت", "أوت"),
    9: ("سبتمبر", "أيلول", "شتنبر"),
    10: ("أكتوبر", "تشرين الأول", "تشرين أول"),
    11: ("نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر"),
    12: ("ديسمبر", "كانون الأول", "كانون أول", "دجنبر"),
}

_WEEKDAYS = ("الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت")

_AM = ("ص", "صباحا", "صباح", "am", "a.m.")
_PM = ("م", "مساء", "مساءا", "pm", "p.m.")
_AM_FOLDED = frozenset(_fold(w) for w in _AM)
_PM_FOLDED = frozenset(_fold(w) for w in _PM)

# unit, singular forms, dual forms, plural forms (a plural needs a number)
_UNITS: tuple[tuple[timedelta, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    (timedelta(seconds=1), ("ثانية",), ("ثانيتين", "ثانيتان"), ("ثوان", "ثواني")),
    (timedelta(minutes=1), ("دقيقة",), ("دقيقتين", "دقيقتان"), ("دقائق", "دقايق")),
    (timedelta(hours=1), ("ساعة",), ("ساعتين", "ساعتان"), ("ساعات",)),
    (timedelta(days=1), ("يوم",), ("يومين", "يومان"), ("أيام",)),
    (timedelta(weeks=1), ("أسبوع",), ("أسبوعين", "أسبوعان"), ("أسابيع",)),
    (timedelta(days=30), ("شهر",), ("شهرين", "شهران"), ("أشهر", "شهور")),
    (timedelta(days=365), ("سنة", "عام"), ("سنتين", "سنتان", "عامين", "عامان"), ("سنوات", "أعوام", "سنين")),
)

# relative day words -> days back from today
_DAY_WORDS = {"أول أمس": 2, "أمس": 1, "البارحة": 1, "اليوم": 0}


# --- regex building ------------------------------------------------------------

_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"  # a digit or a non-word char may precede
_NOT_LETTER_AFTER = r"(?![^\W\d_])"


def _alternation(words) -> str:
    """Folded `words` as a regex alternation, longest first, spaces as \\s+."""
    folded = sorted({" ".join(_fold(w).split()) for w in words}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in folded)


def _word(words) -> str:
    return rf"{_NOT_LETTER_BEFORE}(?:{_alternation(words)}){_NOT_LETTER_AFTER}"


def _lookup(table) -> dict[str, object]:
    return {" ".join(_fold(word).split()): value for word, value in table}


_MONTHS = _lookup((name, month) for month, names in _MONTH_NAMES.items() for name in names)
_MONTH = _word(_MONTHS)

_UNIT_FORMS = _lookup(
    (word, (delta, count))
    for delta, singular, dual, plural in _UNITS
    for forms, count in ((singular, 1), (dual, 2), (plural, None))
    for word in forms
)
_DAYS_BACK = _lookup(_DAY_WORDS.items())

_SEP = r"[\s\-/.,،]{0,3}"
_YEAR = r"(?P<y>[0-9]{4})(?![0-9])(?:\s?م" + _NOT_LETTER_AFTER + ")?"  # "2015م": Gregorian

_DATE_PATTERNS = (
    re.compile(  # 24 مارس 2015, 24 آذار (مارس) 2015, 24 مارس/آذار 2015
        rf"(?<![0-9])(?P<d>[0-9]{{1,2}}){_SEP}(?:من\s+)?(?:شهر\s+)?(?P<m>{_MONTH})"
        rf"(?:\s*[(/\-]\s*(?:{_MONTH})\s*\)?)?{_SEP}{_YEAR}"
    ),
    re.compile(  # 2015-03-24, 2015/3/24
        r"(?<![0-9])(?P<y>[0-9]{4})\s*(?P<sep>[-/.،])\s*(?P<m>[0-9]{1,2})\s*(?P=sep)\s*"
        r"(?P<d>[0-9]{1,2})(?![0-9])"
    ),
    re.compile(  # 24/3/2015, 24-03-2015, 24.03.2015 (day first)
        rf"(?<![0-9])(?P<d>[0-9]{{1,2}})\s*(?P<sep>[-/.،])\s*(?P<m>[0-9]{{1,2}})\s*(?P=sep)\s*{_YEAR}"
    ),
)

_RFC2822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun),?\s*)?(?<![0-9])[0-9]{1,2}\s+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+[0-9]{2,4}\s+"
    r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\s*(?:[+-][0-9]{4}|gmt|utc|ut|z|[ecmp][sd]t)(?![a-z]))?"
)

_TIME = (
    r"(?<![0-9:])(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,](?P<f>[0-9]+))?)?(?![0-9])"
    rf"(?:\s*(?P<ampm>{_alternation(_AM + _PM)}){_NOT_LETTER_AFTER})?"
)
_CONNECT = r"[\s\-–—,،|/()\[\]:]{0,8}"
_GAP_WORD = _word(("الساعة", "على الساعة", "في", "يوم", "بتاريخ", "at", *_WEEKDAYS))
_GAP = rf"(?:t|{_CONNECT}(?:{_GAP_WORD}{_CONNECT}){{0,2}})"
_TIME_RX = re.compile(_TIME)
_GAP_RX = re.compile(_GAP)
_GAP_TIME_RX = re.compile(_GAP + _TIME)

_UTC_NAMES = ("gmt", "utc", "ut", "غرينتش", "جرينتش", "غرينيتش", "توقيت غرينتش", "بتوقيت غرينتش",
              "توقيت جرينتش", "بتوقيت جرينتش")
_MECCA_NAMES = ("مكة المكرمة", "بتوقيت مكة", "بتوقيت مكة المكرمة")  # Al Jazeera: "18:02 (مكة المكرمة)"
_OFFSET_PATTERNS = (  # (regex, fixed offset or None to read it from the match)
    (re.compile(r"\s*z(?![a-z])"), timedelta(0)),
    (re.compile(  # +03:00, +0300, +00:09:21, UTC+03:00
        r"\s*(?:(?:gmt|utc|ut)\s*)?(?P<sign>[+-])(?P<oh>[0-9]{2}):?(?P<om>[0-9]{2})"
        r"(?::(?P<os>[0-9]{2}))?(?![0-9])"
    ), None),
    (re.compile(  # GMT+3, GMT +5:30
        r"\s*(?:gmt|utc|ut)\s*(?P<sign>[+-])\s*(?P<oh>[0-9]{1,2})(?::(?P<om>[0-9]{2}))?(?![0-9])"
    ), None),
    (re.compile(rf"\s*\(?\s*(?:{_word(_UTC_NAMES)}|ت\s?\.?\s?غ{_NOT_LETTER_AFTER})\)?"), timedelta(0)),
    (re.compile(rf"\s*\(?\s*{_word(_MECCA_NAMES)}\)?"), timedelta(hours=3)),
)

_RELATIVE_HEAD = re.compile(_word(("منذ", "قبل")))
_RELATIVE_PART = re.compile(
    rf"(?P<and>\s*و\s*)?\s*(?:(?P<n>[0-9]{{1,6}})\s*)?(?P<unit>{_word(_UNIT_FORMS)})"
)
_DAY_WORD_RX = re.compile(_word(_DAYS_BACK))
_ISO_WITH_OFFSET = re.compile(
    r"\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])\s*\Z", re.ASCII)


# --- public API ----------------------------------------------------------------


def parse_date(text: str | None, tz: str | tzinfo = "UTC", now: datetime | None = None) -> datetime | None:
    """The first date written in `text` as an aware datetime, or None.

    `tz` (an IANA name or a `tzinfo`) is the zone of dates written without an offset;
    `now` is the reference for relative forms (default: the current time in
    `tz`; a naive `now` is taken to be in `tz`).  Never raises on `text`;
    raises ValueError when `tz` is not a known zone.
    """
    zone = _zone(tz)
    if not isinstance(text, str) or not text.strip():
        return None
    if _ISO_WITH_OFFSET.match(text):
        # Machine-written (<time datetime>, sitemaps, feeds): the common case,
        # and the one the general patterns below would read the same way.
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError:
            pass  # 30 February: the patterns below give their own answer
    folded = _fold(text)
    return (
        _parse_rfc2822(folded, zone)
        or _parse_absolute(folded, zone)
        or _parse_day_word(folded, zone, now)
        or _parse_ago(folded, zone, now)
    )


def to_iso(dt: datetime | None) -> str | None:
    """ISO 8601 with offset, to the second: "2015-03-24T18:02:00+03:00"."""
    if dt is None:
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime has no offset to write: {dt!r}")
    return dt.isoformat(timespec="seconds")


def iso_date(text: str | None, tz: str | tzinfo = "UTC", now: datetime | None = None) -> str | None:
    """`to_iso(parse_date(text, tz, now))`: the first date in `text` as the
    archive stores it. A date already written that way (every <time
    datetime> of a comment thread) is its own answer, without the round
    trip through a datetime: one fromisoformat says it is a real date."""
    if isinstance(text, str) and _WRITTEN_AS_STORED.fullmatch(text) and not text.endswith("-00:00"):
        _zone(tz)  # raises as parse_date does for a zone it does not know
        try:
            datetime.fromisoformat(text)
        except ValueError:
            pass  # 30 February: parse_date gives its own answer
        else:
            return text  # ("-00:00" is written back as "+00:00": not its own answer)
    return to_iso(parse_date(text, tz=tz, now=now))


# What to_iso writes: a date and time to the second with a numeric offset.
_WRITTEN_AS_STORED = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
                                r":[0-5][0-9][+-](0[0-9]|1[0-4]):[0-5][0-9]", re.ASCII)


def is_date_only(text: str | None) -> bool:
    """True when `text` holds a date and nothing else a reader would read as
    a sentence: "الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)",
    "تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً", "منذ 3 ساعات".

    Words that surround dates (weekdays, "نشر في", "آخر تحديث", "الساعة",
    zone names) may stay; any other word makes it text with a date in it
    ("توفي في 3 مارس 2020"), which is never a date line.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        return False
    if parse_date(text, "UTC", _EPOCH_NOW) is None:
        return False
    rest = _fold(text)
    for rx in _DATE_LINE_PARTS:
        rest = rx.sub(" ", rest)
    return not _LETTER_RUNS.search(rest)


_EPOCH_NOW = datetime(2000, 1, 1, tzinfo=UTC)  # any reference will do: only "is there a date" is asked
_DATE_LINE_WORDS = (
    "تم", "نشر", "نشرت", "نشره", "النشر", "منشور", "في", "بتاريخ", "تاريخ", "التاريخ", "اخر", "آخر", "تحديث",
    "التحديث", "محدثة", "محدث", "حدث", "الساعة", "على الساعة", "يوم", "و", "published", "updated", "last", "on", "at",
    *_WEEKDAYS, *_UTC_NAMES, *_MECCA_NAMES,
)
_DATE_LINE_PARTS = (
    _RFC2822, *_DATE_PATTERNS, re.compile(_TIME), re.compile(_MONTH),
    re.compile(rf"{_RELATIVE_HEAD.pattern}|{_word(_UNIT_FORMS)}|{_word(_DAYS_BACK)}"),
    re.compile(_word(_DATE_LINE_WORDS)), re.compile(r"(?<![^\W\d_])(?:ت\s?\.?\s?غ|t|z)(?![^\W\d_])"),
)
_LETTER_RUNS = re.compile(r"[^\W\d_]+")


# --- helpers -------------------------------------------------------------------


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz  # a fixed offset the caller read off the page
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc


def _reference(zone: tzinfo, now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(zone)
    return now.replace(tzinfo=zone) if now.tzinfo is None else now


def _parse_rfc2822(s: str, zone: tzinfo) -> datetime | None:
    match = _RFC2822.search(s)
    if not match:
        return None
    try:
        dt = parsedate_to_datetime(match.group())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt.tzinfo is None:  # no zone, or "-0000" (UTC, local zone unknown)
        dt = dt.replace(tzinfo=UTC if "-0000" in match.group() else zone)
    return dt


def _date_matches(s: str):
    """Every date-looking match of every pattern, leftmost first."""
    return heapq.merge(*(rx.finditer(s) for rx in _DATE_PATTERNS), key=lambda m: m.start())


def _parse_absolute(s: str, zone: tzinfo) -> datetime | None:
    for match in _date_matches(s):
        day = _calendar_date(match)
        dt = day and _at_time(s, match.start(), match.end(), day, zone)
        if dt:
            return dt
    return None


def _calendar_date(match: re.Match) -> date | None:
    month = match.group("m")
    month = _MONTHS[" ".join(month.split())] if not month.isdigit() else int(month)
    try:
        return date(int(match.group("y")), month, int(match.group("d")))
    except ValueError:
        return None


def _at_time(
    s: str, start: int, end: int, day: date, zone: tzinfo, need_time: bool = False
) -> datetime | None:
    """`day` at the time written next to s[start:end] (midnight if none)."""
    found = _time_after(s, end) or _time_before(s, start)
    if found is None:
        return None if need_time else datetime(day.year, day.month, day.day, tzinfo=zone)
    clock, offset = found
    try:
        tzinfo = zone if offset is None else (UTC if not offset else timezone(offset))
        return datetime(day.year, day.month, day.day, *clock, tzinfo=tzinfo)
    except ValueError:  # 25:99, or an offset of a day or more
        return None


def _time_after(s: str, end: int):
    """A time written just after the date ("24 مارس 2015 - 18:02")."""
    match = _GAP_TIME_RX.match(s, end)
    if not match:
        return None
    offset, _ = _offset(s, match.end(), len(s))
    return _clock(match), offset


def _time_before(s: str, start: int):
    """A time written just before the date ("18:02 - 24 مارس 2015")."""
    matches = list(_TIME_RX.finditer(s, max(0, start - 40), start))
    if not matches:
        return None
    offset, tail = _offset(s, matches[-1].end(), start)
    if not _GAP_RX.fullmatch(s, tail, start):
        return None
    return _clock(matches[-1]), offset


def _clock(match: re.Match) -> tuple[int, int, int, int]:
    """Hour, minute, second, microsecond of a `_TIME` match, AM/PM applied."""
    hour = int(match.group("h"))
    ampm = match.group("ampm")
    if ampm in _PM_FOLDED and hour < 12:
        hour += 12
    elif ampm in _AM_FOLDED and hour == 12:
        hour = 0
    fraction = match.group("f") or ""
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return hour, int(match.group("mi")), int(match.group("s") or 0), micro


def _offset(s: str, pos: int, endpos: int) -> tuple[timedelta | None, int]:
    """The UTC offset written at s[pos:endpos] (or None) and where it ends."""
    for rx, fixed in _OFFSET_PATTERNS:
        match = rx.match(s, pos, endpos)
        if match:
            return (fixed if fixed is not None else _offset_value(match)), match.end()
    return None, pos


def _offset_value(match: re.Match) -> timedelta:
    size = timedelta(
        hours=int(match.group("oh")),
        minutes=int(match.group("om") or 0),
        seconds=int(match.groupdict().get("os") or 0),
    )
    return -size if match.group("sign") == "-" else size


def _parse_day_word(s: str, zone: tzinfo, now: datetime | None) -> datetime | None:
    """Today/yesterday words: "اليوم 18:02" (needs a time), "أمس", "أمس 18:02", "أول أمس"."""
    for match in _DAY_WORD_RX.finditer(s):
        back = _DAYS_BACK[" ".join(match.group().split())]
        try:
            day = _reference(zone, now).astimezone(zone).date() - timedelta(days=back)
        except (ValueError, OverflowError):
            return None
        dt = _at_time(s, match.start(), match.end(), day, zone, need_time=back == 0)
        if dt:
            return dt
    return None


def _parse_ago(s: str, zone: tzinfo, now: datetime | None) -> datetime | None:
    """Time ago: "منذ 3 ساعات", "منذ ساعتين", "قبل يوم", "منذ ساعة و 20 دقيقة"."""
    for head in _RELATIVE_HEAD.finditer(s):
        delta = _ago_delta(s, head.end())
        if delta is not None:
            try:
                return _reference(zone, now) - delta
            except OverflowError:
                return None
    return None


def _ago_delta(s: str, pos: int) -> timedelta | None:
    total = None
    while match := _RELATIVE_PART.match(s, pos):
        if total is None and match.group("and"):
            break
        unit, count = _UNIT_FORMS[" ".join(match.group("unit").split())]
        if match.group("n"):
            count = int(match.group("n"))
        if count is None:  # "منذ ساعات": a plural with no number says nothing
            break
        try:
            total = (total or timedelta(0)) + unit * count
        except OverflowError:
            return None
        pos = match.end()
    return total
