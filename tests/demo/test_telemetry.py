"""The synthetic data: valid identifiers, places in Japan, reproducible bytes."""

from __future__ import annotations

import gzip
import random
import re

import pytest

from andon.demo import telemetry as tm


@pytest.fixture(scope="module")
def fleet() -> tm.Fleet:
    return tm.make_fleet(tm.new_faker(42), random.Random(42), customers=40, vehicles=60)


def test_vin_check_digit_matches_the_textbook_example() -> None:
    assert tm.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert tm.vin_is_valid("1M8GDM9AXKP042788")
    assert tm.vin_check_digit("11111111111111111") == "1"


def test_vin_validation_rejects_a_wrong_digit_and_forbidden_letters() -> None:
    assert not tm.vin_is_valid("1M8GDM9A1KP042788")  # check digit changed
    assert not tm.vin_is_valid("1M8GDM9AXKP04278")  # 16 characters
    assert not tm.vin_is_valid("IM8GDM9AXKP042788")  # I is not allowed
    with pytest.raises(ValueError):
        tm.vin_check_digit("SHORT")


def test_luhn() -> None:
    assert tm.luhn_check_digit("7992739871") == "3"
    assert tm.luhn_is_valid("79927398713")
    assert tm.luhn_is_valid("490154203237518")  # a well-known sample IMEI
    assert not tm.luhn_is_valid("490154203237517")
    assert not tm.luhn_is_valid("49015420323751A")


def test_every_vin_has_a_valid_check_digit_and_a_japanese_wmi(fleet: tm.Fleet) -> None:
    vins = [v.vin for v in fleet.vehicles]
    assert len(set(vins)) == len(vins) == 60
    for vin in vins:
        assert tm.vin_is_valid(vin), vin
        assert vin[0] == "J"
        assert not set(vin) & set("IOQ")


def test_every_terminal_id_is_a_luhn_valid_imei(fleet: tm.Fleet) -> None:
    for v in fleet.vehicles:
        assert re.fullmatch(r"\d{15}", v.terminal_id)
        assert tm.luhn_is_valid(v.terminal_id), v.terminal_id


def test_chassis_numbers_use_the_japanese_frame_number_format(fleet: tm.Fleet) -> None:
    codes = {code for code, _ in tm.MODELS}
    for v in fleet.vehicles:
        model, _, serial = v.chassis_no.partition("-")
        assert model == v.model_code in codes
        assert re.fullmatch(r"\d{7}", serial)


def test_customers_are_obviously_synthetic_but_japanese(fleet: tm.Fleet) -> None:
    for c in fleet.customers:
        assert c.customer_id.startswith("DEMO-")
        assert re.search(r"@example\.(com|net|org)$", c.email), c.email
        assert re.fullmatch(r"\d{3}-\d{4}", c.postal_code)
        assert re.search(r"[都道府県]", c.address)
        assert re.fullmatch(r"[ァ-ヶー]+", c.last_name_kana)
    owners = {v.customer_id for v in fleet.vehicles}
    assert owners == {c.customer_id for c in fleet.customers}  # 60 cars dealt to 40 owners


def test_contract_starts_in_the_year_of_the_first_car(fleet: tm.Fleet) -> None:
    for c in fleet.customers:
        first = min(v.model_year for v in fleet.vehicles if v.customer_id == c.customer_id)
        assert c.contract_start.startswith(str(first))


def test_trips_stay_in_japan_and_move_plausibly(fleet: tm.Fleet) -> None:
    trips = tm.make_trips(
        random.Random(1), fleet.vehicles, count=20, start=tm.EPOCH, days=30, prefix="T"
    )
    lat_min, lat_max, lon_min, lon_max = tm.JAPAN_BOUNDS
    by_vin = {v.vin: v for v in fleet.vehicles}
    for trip in trips:
        assert 12 <= len(trip.points) <= 40
        for p in trip.points:
            assert lat_min < p.lat < lat_max and lon_min < p.lon < lon_max
            assert 0 <= p.speed_kmh <= 110
            assert p.recorded_at.endswith("+09:00")
            car = by_vin[p.vin]
            assert (p.chassis_no, p.terminal_id) == (car.chassis_no, car.terminal_id)


def test_same_seed_same_data_different_seed_different_data() -> None:
    def build(seed: int) -> tuple[tm.Fleet, tuple[tm.Trip, ...]]:
        rng = random.Random(seed)
        fleet = tm.make_fleet(tm.new_faker(seed), rng, customers=5, vehicles=8)
        return fleet, tm.make_trips(
            rng, fleet.vehicles, count=3, start=tm.EPOCH, days=9, prefix="T"
        )

    assert build(3) == build(3)
    assert build(3) != build(4)


def test_renderers() -> None:
    rows = [{"a": 1, "b": "名前"}, {"a": 2, "b": "x,y"}]
    assert tm.render_csv(("a", "b"), rows) == 'a,b\n1,名前\n2,"x,y"\n'.encode()
    assert tm.render_jsonl(rows).decode().splitlines()[0] == '{"a": 1, "b": "名前"}'
    packed = tm.gzip_bytes(b"same bytes")
    assert packed == tm.gzip_bytes(b"same bytes")  # mtime fixed: reproducible
    assert gzip.decompress(packed) == b"same bytes"
