"""Damaged office XML: every document ends as a filing or a reported error, never a crash."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.importers.common import FilingData
from review.importers.xmldocs import DocumentError
from review.services import _xml_records

DATA = Path(__file__).parent / "data"
SAMPLES = [
    (DATA / name).read_bytes()
    for name in ("ipa20180000016.xml", "ep-v1-5-A1.xml", "us-benefit.xml", "cn-st36-A.xml")
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(SAMPLES), st.integers(0, 10**6), st.binary(max_size=40), st.booleans())
def test_damaged_documents_are_reported_not_crashes(tmp_path, sample, cut, noise, truncate):
    position = cut % (len(sample) + 1)
    damaged = sample[:position] if truncate else sample[:position] + noise + sample[position:]
    path = tmp_path / "damaged.xml"
    path.write_bytes(damaged)
    for where, data, warnings in _xml_records(path, "xml"):
        assert where.startswith(("document ", "line "))
        assert isinstance(data, FilingData | DocumentError)
        assert all(isinstance(warning, str) for warning in warnings)
