"""The fixed tune/report split of the JobBERT titles: pinned sizes, and no cleaned title on both sides."""

from __future__ import annotations

import pytest

from jobmarket.errors import JobmarketError
from jobmarket.evaluation.split import gate_sample, half_of, split_key, split_titles
from tests.conftest import SHARED, need_shared

TITLES = SHARED / "jobbert_eval" / "titles.csv"


@pytest.mark.slow  # cleans the 15k titles (~20 s on an idle 2-core machine)
def test_split_sizes_are_pinned_and_halves_disjoint():
    need_shared(TITLES)
    df = split_titles(TITLES)
    assert len(df) == 15_463
    assert df["half"].value_counts().to_dict() == {"tune": 7_724, "report": 7_739}
    assert df.groupby("half")["key"].nunique().to_dict() == {"tune": 6_673, "report": 6_679}
    assert df.groupby("key")["half"].nunique().max() == 1  # a cleaned title lives in one half only
    tune = split_titles(TITLES, "tune")
    assert len(tune) == 7_724 and set(tune["half"]) == {"tune"}
    sample = gate_sample(split_titles(TITLES, "report"))
    assert len(sample) == 300
    assert sample.equals(gate_sample(split_titles(TITLES, "report")))  # the same sample every time


def test_half_follows_the_cleaned_title():
    # Spellings that clean to the same key fall in the same half.
    assert split_key("Software Engineer (m/w/d)") == split_key("software engineer")
    assert half_of("Software Engineer (m/w/d)") == half_of("SOFTWARE ENGINEER")
    with pytest.raises(JobmarketError, match="half must be one of"):
        split_titles(TITLES, "train")
