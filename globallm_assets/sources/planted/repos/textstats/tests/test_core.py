import textstats


def test_word_count():
    assert textstats.word_count("a quick test") == 3
    assert textstats.word_count("") == 0


def test_longest_word():
    assert textstats.longest_word("a quick test") == "quick"
    assert textstats.longest_word("") == ""


def test_mean_word_length():
    assert textstats.mean_word_length("ab abcd") == 3
