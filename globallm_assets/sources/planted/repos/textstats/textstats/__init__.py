"""Small helpers for counting words in text."""

from textstats.core import longest_word, mean_word_length, word_count, words

__all__ = ["longest_word", "mean_word_length", "word_count", "words"]
