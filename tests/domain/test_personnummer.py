import datetime as dt

import pytest

from coordination.domain.personnummer import parse
from coordination.errors import InvalidPersonnummer

TODAY = dt.date(2026, 11, 25)


def test_twelve_digit_form_is_normalised_with_birth_date_and_age():
    number = parse("194106052386", today=TODAY)
    assert number.canonical == "19410605-2386"
    assert number.birth_date == dt.date(1941, 6, 5)
    assert number.age(TODAY) == 85
    assert not number.is_child(TODAY)


def test_ten_digit_form_takes_the_century_that_makes_the_person_at_most_99():
    assert parse("150622-8673", today=TODAY).birth_date == dt.date(2015, 6, 22)
    assert parse("380214-2012", today=TODAY).birth_date == dt.date(1938, 2, 14)


def test_plus_sign_marks_a_person_aged_100_or_more():
    # 1924-12-31 is 101 years old on TODAY; with '-' the same digits would mean 2024
    from stdnum import luhn
    digits = "241231" + "123"
    check = luhn.calc_check_digit(digits)
    assert parse(f"241231-123{check}", today=TODAY).birth_date == dt.date(2024, 12, 31)
    old = parse(f"241231+123{check}", today=TODAY)
    assert old.birth_date == dt.date(1924, 12, 31)
    assert old.canonical == f"19241231-123{check}"
    assert old.age(TODAY) == 101


def test_samordningsnummer_adds_sixty_to_the_day():
    from stdnum import luhn
    ten = "701063" + "239"  # born 1970-10-03
    number = parse(f"19{ten[:6]}-{ten[6:]}{luhn.calc_check_digit(ten)}", today=TODAY)
    assert number.is_coordination_number
    assert number.birth_date == dt.date(1970, 10, 3)


def test_a_child_is_under_eighteen():
    assert parse("20110914-9045", today=TODAY).is_child(TODAY)
    assert parse("20110914-9045", today=TODAY).age(dt.date(2029, 9, 14)) == 18


@pytest.mark.parametrize("text, words", [
    ("19410605-2387", "check digit"),
    ("19410231-2386", "real date"),
    ("1941-06-05", "form"),
    ("abc", "form"),
    ("", "form"),
    ("20300101-0008", "future"),
])
def test_invalid_numbers_are_refused_with_the_field_named(text, words):
    with pytest.raises(InvalidPersonnummer) as err:
        parse(text, today=TODAY, record="persons[3]")
    assert words in str(err.value)
    assert "persons[3] field 'personnummer'" in str(err.value)
