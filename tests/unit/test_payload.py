import json

import pytest

from labproject.errors import BadInput
from labproject.iteration.calculation import calculate
from labproject.shape import check_shape, resolve_size
from seed import PRESETS, PayloadSpec, generate_rows
from seed.payload import MIN_PAYLOAD_BYTES


def test_same_arguments_give_byte_identical_rows():
    spec = PayloadSpec(rows=2000, payload_bytes=300, seed=7)
    assert list(generate_rows(spec)) == list(generate_rows(PayloadSpec(rows=2000, payload_bytes=300, seed=7)))


def test_another_seed_gives_other_rows():
    a = list(generate_rows(PayloadSpec(rows=200, seed=1)))
    b = list(generate_rows(PayloadSpec(rows=200, seed=2)))
    assert [pk for pk, _ in a] == [pk for pk, _ in b]
    assert sum(x != y for (_, x), (_, y) in zip(a, b, strict=True)) > 190


def test_a_slice_equals_the_same_rows_of_the_whole():
    spec = PayloadSpec(rows=1000, seed=3)
    assert list(generate_rows(spec, 400, 450)) == list(generate_rows(spec))[400:450]


@pytest.mark.parametrize("size", [MIN_PAYLOAD_BYTES, 300, 4096])
def test_every_payload_has_the_asked_size_and_shape(size):
    for pk, text in generate_rows(PayloadSpec(rows=3000, payload_bytes=size, seed=5)):
        assert len(text.encode()) == size
        data = json.loads(text)
        assert data["id"] == pk
        assert isinstance(data["metrics"]["score"], int)
        assert 1 <= len(data["metrics"]["tags"]) <= 8
        assert calculate(data) == data["metrics"]["score"] * 2 + len(data["metrics"]["tags"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": -5}, "positive"),
        ({"rows": 0}, "positive"),
        ({"rows": 60_000_000}, "ceiling"),
        ({"rows": 10, "payload_bytes": 20}, "JSON shape needs"),
        ({"rows": 10, "payload_bytes": 10**7}, "limit"),
        ({"rows": 10, "seed": -1}, "seed"),
    ],
)
def test_bad_sizes_are_refused_by_the_generator_and_by_the_lab_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PayloadSpec(**kwargs)
    with pytest.raises(BadInput, match=message):
        check_shape(**{"payload_bytes": 300, "seed": 1, **kwargs})


def test_force_lifts_the_ceiling():
    assert PayloadSpec(rows=60_000_000, force=True).rows == 60_000_000


def test_presets_and_their_errors():
    assert resolve_size(None, "article") == PRESETS["article"] == 50_000
    assert resolve_size(123, None) == 123
    with pytest.raises(BadInput, match="unknown preset 'nope'"):
        resolve_size(None, "nope")
    with pytest.raises(BadInput, match="not both"):
        resolve_size(5, "tiny")
