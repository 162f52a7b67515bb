"""A service's Slice of domain values, and the page of response models the edge makes of it."""

from __future__ import annotations

from dataclasses import dataclass

from hotpot.domain.results import Slice
from hotpot.http.schemas import page_from
from hotpot.validation import Out


@dataclass(frozen=True)
class Thing:
    name: str


class ThingOut(Out):
    name: str


def test_a_slice_keeps_the_limit_and_tells_whether_more_followed() -> None:
    assert Slice.of([1, 2, 3], 2) == Slice([1, 2], has_more=True)
    assert Slice.of([1, 2], 2) == Slice([1, 2], has_more=False)
    assert Slice.of([], 5) == Slice([], has_more=False)


def test_a_page_maps_each_value_and_points_at_the_next_page() -> None:
    page = page_from(Slice([Thing("a"), Thing("b")], has_more=True), ThingOut, 2, 4)
    assert page.items == [ThingOut(name="a"), ThingOut(name="b")]
    assert (page.limit, page.offset, page.next_offset) == (2, 4, 6)
    last = page_from(Slice([Thing("c")], has_more=False), ThingOut, 2, 6)
    assert last.next_offset is None and last.model_dump()["items"] == [{"name": "c"}]
