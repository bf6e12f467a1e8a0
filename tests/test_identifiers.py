"""Identifiers: the public test vectors from DOMAIN.md, every written form, and corrupted forms."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rights.domain import identifiers as ids
from rights.domain.identifiers import (
    NIS_CODES,
    IdentifierError,
    IdentifierKind,
    NationalNumberKind,
    format_enterprise_number,
    format_establishment_number,
    is_valid_iban_be,
    mask_national_number,
    normalise_enterprise_number,
    normalise_establishment_number,
    normalise_institution_number,
    normalise_nis_code,
    normalise_ovo_code,
    parse_national_number,
    parse_organisation_identifier,
)


def _check(base8: str) -> str:
    return f"{97 - int(base8) % 97:02d}"


def _nn(first9: str, born_2000: bool = False) -> str:
    """A national number with correct check digits for the given first nine digits."""
    n = int(("2" if born_2000 else "") + first9)
    return f"{first9}{97 - n % 97:02d}"


def _swap(s: str, i: int) -> str:
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _reason(fn, text) -> tuple[str, str]:
    with pytest.raises(IdentifierError) as info:
        fn(text)
    return info.value.kind, info.value.reason


# --- enterprise numbers ---

ENTERPRISE_VECTORS = [
    "0207.509.031",
    "0353.456.320",
    "0403.019.261",
    "0566.988.259",
    "0426.994.097",
    "1000.000.021",
]


@pytest.mark.parametrize("shown", ENTERPRISE_VECTORS)
def test_public_enterprise_numbers_are_valid_and_round_trip(shown):
    n = normalise_enterprise_number(shown)
    assert n == shown.replace(".", "")
    assert format_enterprise_number(n) == shown
    assert normalise_enterprise_number("BE" + n) == n


@pytest.mark.parametrize(
    "text",
    [
        "BE 0207.509.031",
        "BE0207509031",
        "0207509031",
        "207509031",
        "0207 509 031",
        "be0207.509.031",
        " 0207-509-031 ",
    ],
)
def test_every_form_of_an_enterprise_number_normalises_to_one(text):
    assert normalise_enterprise_number(text) == "0207509031"
    assert format_enterprise_number(text) == "0207.509.031"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0207509032", "checksum"),  # last digit changed
        ("0207519031", "checksum"),  # a middle digit changed
        (_swap("0207509031", 4), "checksum"),  # 0207590031: two adjacent digits swapped
        (_swap("0207509031", 1), "checksum"),
        ("02075090311", "length"),
        ("20750903", "length"),
        ("0207A09031", "format"),
        ("BE", "format"),
        ("", "empty"),
        ("2" + "2075090" + _check("22075090"), "first_digit"),  # right checksum, wrong series
    ],
)
def test_corrupted_enterprise_numbers_fail(text, reason):
    assert _reason(normalise_enterprise_number, text) == ("enterprise_number", reason)


def test_check_digits_zero_are_not_accepted_for_97():
    # stdnum's (a + b) % 97 == 0 would take "00"; the KBO rule wants 97.
    assert normalise_enterprise_number("0000009797") == "0000009797"
    assert _reason(normalise_enterprise_number, "0000009700")[1] == "checksum"


# --- establishment unit numbers ---


@pytest.mark.parametrize("shown", ["2.147.812.701", "2.147.812.897"])
def test_public_establishment_numbers_are_valid_and_round_trip(shown):
    n = normalise_establishment_number(shown)
    assert n == shown.replace(".", "")
    assert format_establishment_number(n) == shown
    assert normalise_establishment_number(n) == n


@pytest.mark.parametrize("first", "019")
def test_establishment_numbers_need_first_digit_2_to_8(first):
    base = first + "1478127"
    assert _reason(normalise_establishment_number, base + _check(base)) == (
        "establishment_number",
        "first_digit",
    )


@pytest.mark.parametrize("text", ["2147812702", _swap("2147812701", 2), "214781270", "2.147.812.70x"])
def test_corrupted_establishment_numbers_fail(text):
    with pytest.raises(IdentifierError):
        normalise_establishment_number(text)


@settings(database=None, deadline=None)  # no .hypothesis/ directory in the repo, no timing flakes
@given(base=st.integers(min_value=0, max_value=89_999_999))
def test_mod97_built_numbers_normalise_and_every_single_digit_change_fails(base):
    number = f"{base:08d}"
    number += _check(number)
    normalise = normalise_enterprise_number if number[0] in "01" else normalise_establishment_number
    assert normalise(number) == number
    for i, original in enumerate(number):
        for digit in "0123456789":
            if digit != original:
                with pytest.raises(IdentifierError):
                    normalise(number[:i] + digit + number[i + 1 :])


# --- OVO codes ---


@pytest.mark.parametrize("text", ["OVO002949", "ovo002949", "OVO 002949", "OVO-002949", " Ovo002949 "])
def test_ovo_forms_normalise(text):
    assert normalise_ovo_code(text) == "OVO002949"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("OVO02949", "length"),
        ("OVO0029490", "length"),
        ("OVO00294X", "format"),
        ("002949", "format"),
        ("", "empty"),
    ],
)
def test_bad_ovo_codes_fail(text, reason):
    assert _reason(normalise_ovo_code, text) == ("ovo_code", reason)


# --- NIS codes ---


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("11002", "Antwerpen"),
        ("44021", "Gent"),
        ("23106", "Pajottegem"),
        ("24001", "Aarschot"),
        ("21004", "Brussel"),
        ("23105", "Affligem"),
    ],
)
def test_known_nis_codes(code, name):
    assert normalise_nis_code(code) == code
    assert ids.nis_municipality_name(code) == name


def test_nis_list_has_the_565_municipalities_of_2025():
    assert len(NIS_CODES) == 565
    by_region = {"brussels": 0, "flanders": 0, "wallonia": 0}
    for code in NIS_CODES:
        if code.startswith("21"):
            by_region["brussels"] += 1
        elif code[0] in "1347" or code[:2] in ("23", "24"):
            by_region["flanders"] += 1
        else:
            by_region["wallonia"] += 1
    assert by_region == {"brussels": 19, "flanders": 285, "wallonia": 261}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("99999", "unknown_nis_code"),
        ("23023", "merged_nis_code"),  # Galmaarden, merged into Pajottegem
        ("11007", "merged_nis_code"),  # Borsbeek, absorbed by Antwerpen
        ("1100", "length"),
        ("11oo2", "format"),
    ],
)
def test_unknown_or_merged_away_nis_codes_fail(text, reason):
    assert _reason(normalise_nis_code, text) == ("nis_code", reason)


@pytest.mark.parametrize(
    ("code", "name", "into", "into_name"),
    [
        ("44012", "De Pinte", "44086", "Nazareth-De Pinte"),
        ("44048", "Nazareth", "44086", "Nazareth-De Pinte"),
        ("11007", "Borsbeek", "11002", "Antwerpen"),
        ("71022", "Hasselt", "71072", "Hasselt"),  # Hasselt took a new code when Kortessem joined it
        ("11056", "Zwijndrecht", "46030", "Beveren-Kruibeke-Zwijndrecht"),
        ("82005", "Bertogne", "82039", "Bastogne"),
    ],
)
def test_former_nis_codes_name_the_municipality_they_merged_into(code, name, into, into_name):
    former = ids.former_nis_code(code)
    assert former == ids.FormerNisCode(code, name, into, into_name, datetime.date(2025, 1, 1))
    with pytest.raises(ids.MergedNisCodeError) as exc:
        normalise_nis_code(code)
    assert exc.value.former == former and exc.value.reason == "merged_nis_code"
    assert ids.normalise_nis_reference(code) == code  # a reference to a record made before the merger
    assert parse_organisation_identifier(code) == (IdentifierKind.NIS_CODE, code)


def test_every_2025_merger_is_read_from_the_nis_list():
    former = {c: ids.former_nis_code(c) for c in ("23023", "23024", "23032", "37012", "37018", "37007", "37015",
                                                  "44034", "44073", "44040", "44043", "46014", "44045", "46003",
                                                  "46013", "71069", "71057", "73040", "73006", "73032", "73009",
                                                  "73083", "82003")}
    assert all(f is not None and f.merged_into in NIS_CODES for f in former.values())
    assert ids.former_nis_code("44086") is None and ids.former_nis_code("12345") is None
    assert ids.former_nis_code("11002") is None  # Antwerpen kept its code


def test_a_deployment_can_replace_the_nis_list():
    try:
        ids.use_nis_codes({"99999": "Testgemeente"})
        assert normalise_nis_code("99999") == "99999"
        assert "11002" not in ids.NIS_CODES
        assert ids.former_nis_code("44012").merged_into == "44086"  # the bundled mergers stay known
        # A list from before the 2025 mergers has De Pinte's code as current again.
        ids.use_nis_codes({"44012": "De Pinte"})
        assert normalise_nis_code("44012") == "44012" and ids.former_nis_code("44012") is None
        ids.use_nis_codes({"55555": "Nieuwgemeente"},
                          former=[ids.FormerNisCode("44021", "Gent", "55555", "Nieuwgemeente", datetime.date(2031, 1, 1))])
        assert _reason(normalise_nis_code, "44021") == ("nis_code", "merged_nis_code")
        assert _reason(normalise_nis_code, "44012") == ("nis_code", "unknown_nis_code")
    finally:
        ids.use_nis_codes(None)
    assert "11002" in ids.NIS_CODES
    assert ids.former_nis_code("44012").merged_into == "44086"
    with pytest.raises(ValueError):
        ids.use_nis_codes(["1234"])


# --- institution numbers ---


@pytest.mark.parametrize(
    ("text", "expected"), [("12345", "012345"), ("012345", "012345"), ("1", "000001"), (" 123456 ", "123456")]
)
def test_institution_numbers_are_zero_padded(text, expected):
    assert normalise_institution_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"), [("0", "format"), ("", "empty"), ("1234567", "length"), ("12a45", "format")]
)
def test_bad_institution_numbers_fail(text, reason):
    assert _reason(normalise_institution_number, text) == ("institution_number", reason)


# --- detection ---


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("OVO002949", IdentifierKind.OVO_CODE, "OVO002949"),
        ("ovo-002949", IdentifierKind.OVO_CODE, "OVO002949"),
        ("BE 0207.509.031", IdentifierKind.ENTERPRISE_NUMBER, "0207509031"),
        ("0207509031", IdentifierKind.ENTERPRISE_NUMBER, "0207509031"),
        ("207509031", IdentifierKind.ENTERPRISE_NUMBER, "0207509031"),
        ("1000.000.021", IdentifierKind.ENTERPRISE_NUMBER, "1000000021"),
        ("2.147.812.701", IdentifierKind.ESTABLISHMENT_NUMBER, "2147812701"),
        ("44021", IdentifierKind.NIS_CODE, "44021"),
        ("23106", IdentifierKind.NIS_CODE, "23106"),
        ("12345", IdentifierKind.INSTITUTION_NUMBER, "012345"),  # 5 digits but no municipality
        ("99999", IdentifierKind.INSTITUTION_NUMBER, "099999"),
        ("44012", IdentifierKind.NIS_CODE, "44012"),  # De Pinte's former code, not institution number 044012
        ("1234", IdentifierKind.INSTITUTION_NUMBER, "001234"),
        ("012345", IdentifierKind.INSTITUTION_NUMBER, "012345"),
    ],
)
def test_parse_organisation_identifier_detects_each_kind(text, kind, value):
    assert parse_organisation_identifier(text) == (kind, value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0207509032", ("enterprise_number", "checksum")),
        ("BE 0207.509.032", ("enterprise_number", "checksum")),
        ("207509032", ("enterprise_number", "checksum")),
        ("2147812702", ("establishment_number", "checksum")),
        ("OVO12", ("ovo_code", "length")),
        ("9123456789", ("organisation_identifier", "first_digit")),
        ("02075090310", ("organisation_identifier", "length")),
        ("12345678", ("organisation_identifier", "length")),
        ("0", ("organisation_identifier", "format")),
        ("hello", ("organisation_identifier", "format")),
        ("  ", ("organisation_identifier", "empty")),
    ],
)
def test_parse_organisation_identifier_refuses(text, expected):
    assert _reason(parse_organisation_identifier, text) == expected


# --- national register and BIS numbers ---


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("85073003328", datetime.date(1985, 7, 30)),
        ("93051822361", datetime.date(1993, 5, 18)),
        ("17073003384", datetime.date(2017, 7, 30)),  # the 2000 rule
    ],
)
def test_public_national_numbers(text, born):
    nn = parse_national_number(text)
    assert nn.value == text
    assert nn.kind is NationalNumberKind.NATIONAL_REGISTER
    assert nn.birth_date == born


@pytest.mark.parametrize("text", ["85073003328", "85.07.30-033.28", "85 07 30 033 28", " 850730-03328 "])
def test_national_number_forms(text):
    nn = parse_national_number(text)
    assert nn.value == "85073003328"
    assert nn.formatted == "85.07.30-033.28"
    assert nn.masked == "85.07.30-***.**"


@pytest.mark.parametrize(
    ("number", "add"), [("85073003328", 20), ("85073003328", 40), ("17073003384", 20), ("17073003384", 40)]
)
def test_bis_variant_of_a_valid_number(number, add):
    first9 = number[:2] + f"{int(number[2:4]) + add:02d}" + number[4:9]
    bis = parse_national_number(_nn(first9, born_2000=number.startswith("17")))
    assert bis.kind is NationalNumberKind.BIS
    assert bis.birth_date == parse_national_number(number).birth_date


@pytest.mark.parametrize(
    ("first9", "born_2000", "reason"),
    [
        ("851330033", False, "date"),  # month 13
        ("853330033", False, "date"),  # month 33: neither register nor BIS
        ("850732033", False, "date"),  # day 32
        ("850631033", False, "date"),  # 31 June
        ("000229033", False, "date"),  # 1900 was no leap year
    ],
)
def test_national_numbers_with_impossible_dates_fail(first9, born_2000, reason):
    assert _reason(parse_national_number, _nn(first9, born_2000)) == ("national_number", reason)


def test_century_and_unknown_parts():
    assert parse_national_number(_nn("000229033", born_2000=True)).birth_date == datetime.date(2000, 2, 29)
    unknown_day = parse_national_number(_nn("850700033"))
    assert (unknown_day.kind, unknown_day.birth_date) == (NationalNumberKind.NATIONAL_REGISTER, None)
    unknown_month = parse_national_number(_nn("852000033"))  # BIS, month unknown
    assert (unknown_month.kind, unknown_month.birth_date) == (NationalNumberKind.BIS, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("85073003329", "checksum"),  # wrong check digits
        ("85073003338", "checksum"),  # serial changed
        (_swap("85073003328", 6), "checksum"),  # 85073030328
        ("8507300332", "length"),
        ("8507300332x", "format"),
        ("", "empty"),
    ],
)
def test_corrupted_national_numbers_fail_without_keeping_the_number(text, reason):
    with pytest.raises(IdentifierError) as info:
        parse_national_number(text)
    assert (info.value.kind, info.value.reason) == ("national_number", reason)
    assert info.value.value == ""
    assert text.strip() == "" or text[:6] not in str(info.value)


@pytest.mark.parametrize("text", ["85073003328", "93051822361", "17073003384", "85.07.30-033.28"])
def test_masking_hides_serial_and_check(text):
    digits = text.replace(".", "").replace("-", "")
    masked = mask_national_number(text)
    assert masked == f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-***.**"
    assert digits[6:9] not in masked.split("-")[1] and digits[9:] not in masked.split("-")[1]
    assert digits not in repr(parse_national_number(text))


@pytest.mark.parametrize("text", ["85073003329", "851330033xx", "", "hello", "85.07.30-033.2"])
def test_masking_an_invalid_number_never_echoes_it(text):
    assert mask_national_number(text) == "***********"


# --- IBAN ---


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("BE68539007547034", True),
        ("BE68 5390 0754 7034", True),
        ("be68539007547034", True),
        ("BE41091811735141", False),  # IBAN check holds, national check fails
        ("BE69539007547034", False),
        ("BE6853900754703", False),
        ("NL91ABNA0417164300", False),
        ("", False),
    ],
)
def test_belgian_iban(text, valid):
    assert is_valid_iban_be(text) is valid


def test_the_education_code_the_claims_emit_is_an_institution_number() -> None:
    """Issue 13, item 6: ``OV031468`` (the orgcode of an education institution in claims) is accepted
    wherever an organisation is referenced, and means institution number 031468."""
    from rights.domain import identifiers as ids

    for form in ("OV031468", "ov031468", "OV 031468", "OV31468"):
        assert ids.parse_organisation_identifier(form) == (ids.IdentifierKind.INSTITUTION_NUMBER, "031468")
    assert ids.parse_organisation_identifier("OVO002949")[0] is ids.IdentifierKind.OVO_CODE
    with pytest.raises(ids.IdentifierError):
        ids.parse_organisation_identifier("OV0314689")  # seven digits: no institution number
