"""Paging of long plots (dashboard.paging): pages cover every row exactly once, in order, and the labels say which."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import paging


@pytest.mark.parametrize("k,size", [(1, 60), (60, 60), (61, 60), (5000, 60), (7, 3)], ids=lambda v: str(v))
def test_pages_cover_every_row_once_in_order(k, size):
    frame = pd.DataFrame({"i": range(k)})
    pages = paging.n_pages(k, size)
    assert pages == -(-k // size)                  # ceiling division, written independently
    got = pd.concat([paging.page_slice(frame, p, size) for p in range(pages)])
    assert got["i"].tolist() == list(range(k))
    assert all(len(paging.page_slice(frame, p, size)) <= size for p in range(pages))


def test_out_of_range_page_is_clipped_and_labels_count_from_one():
    frame = pd.DataFrame({"i": range(130)})
    assert paging.page_slice(frame, 99, 60)["i"].tolist() == list(range(120, 130))
    assert paging.page_label(0, 130, 60) == "rows 1–60 of 130"
    assert paging.page_label(2, 5000, 60) == "rows 121–180 of 5,000"
