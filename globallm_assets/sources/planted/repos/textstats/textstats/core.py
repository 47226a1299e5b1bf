"""Word statistics."""


def words(text):
    """The whitespace-separated words of ``text``."""
    return text.split()


def word_count(text):
    return len(words(text))


def longest_word(text):
    """The longest word (the first one on a tie), or an empty string."""
    return max(words(text), key=len, default="")


def mean_word_length(text):
    """Average number of characters per word."""
    items = words(text)
    return sum(len(word) for word in items) / len(items)
