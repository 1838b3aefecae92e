"""The YAML a dump is written in reads back exactly: every text, every character (fidelity)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envmanager.gitops_yaml import from_yaml, to_yaml

TRICKY = ["a\r\nb", " x ", "\t", "yes", "", "null", "1e3", "\x85", "\u2028", "😀", "#x", "- a", "key: v", "line\n",
          "line\n\n", "  lead\nx", "x\n  ", "\ufeffbom", "a\x07b", "trail \nx", "\n", "\n\nx", "a\nb", "~", "'q'", '"d"']


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_text_reads_back_exactly(value):
    document = {"fields": {"value": value, "port": 5432, "labels": {"k": value}}}
    assert from_yaml(to_yaml(document)) == document


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_any_text_reads_back_exactly(value):
    assert from_yaml(to_yaml({"value": value})) == {"value": value}


def test_bad_yaml_is_a_value_error_with_its_line():
    with pytest.raises(ValueError, match=r"^The file is not valid YAML: .* \(line 3, column 1\)\.$"):
        from_yaml("version: 1\nobjects: [\n")
