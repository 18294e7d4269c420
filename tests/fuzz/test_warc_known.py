"""What the WARC fuzz target found in pipeline/warc.py: a header without Content-Length is named so."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.pipeline.errors import PipelineError
from newsdesk.pipeline.warc import iter_warc_pages


@pytest.mark.parametrize(
    "record",
    [
        b"WARC/1.0\r\nWARC-Type: response\r\n\r\n\r\n\r\n",
        b"WARC/1.0\r\nWARC-Type: request\r\nWARC-Date: 2026-11-27T08:00:00Z\r\n\r\nzz\r\n\r\n",
    ],
    ids=["response-without-length", "request-without-length"],
)
def test_a_first_record_without_content_length_is_refused_saying_so(tmp_path: Path, record: bytes) -> None:
    path = tmp_path / "cut.warc"
    path.write_bytes(record)
    with pytest.raises(PipelineError) as caught:
        list(iter_warc_pages(path))
    assert "NoneType" not in str(caught.value) and "Content-Length" in str(caught.value)
