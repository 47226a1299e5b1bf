import configlite


def test_parse_keys_and_values():
    assert configlite.parse("a = 1\n# comment\nb=two") == {"a": "1", "b": "two"}


def test_last_value_wins():
    assert configlite.parse("a = 1\na = 2") == {"a": "2"}
