"""Ask an LLM to categorize the issues the rules could not decide (off by default).

Budgeted: each call reserves its estimated tokens from the weekly budget before it is made and
is settled with the vendor's reported usage afterwards; when the budget is spent, the remaining
issues keep their rule-based category. The issue text is untrusted input: it is fenced as data
and the reply is accepted only if it is exactly one known category.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from globallm_assets.core.categorize import Category, categorize
from globallm_assets.core.models import IssueRecord
from globallm_assets.llm.base import LLMError, LLMProvider, estimate_tokens
from globallm_assets.llm.prompts import CATEGORIZE_SYSTEM, categorize_prompt
from globallm_assets.observability import current_operation_id
from globallm_assets.store.llm_usage import TokenLedger

log = logging.getLogger(__name__)

MAX_OUTPUT_TOKENS = 5


def acceptable(issue: IssueRecord, category: Category) -> bool:
    """The LLM decides among plausible readings; it may not invent a security issue.

    Security weighs ×10 in urgency, so an author who talks the model into "security" would jump
    the queue: that answer is taken only when the rules already saw some security evidence.
    """
    if category is not Category.security:
        return True
    return categorize(issue).evidence.get(Category.security, 0.0) > 0


def parse_category(text: str) -> Category | None:
    word = text.strip().strip(".:!\"'`*").lower()
    try:
        return Category(word)
    except ValueError:
        return None


def categorize_with_llm(
    provider: LLMProvider, ledger: TokenLedger, issues: Iterable[IssueRecord]
) -> dict[tuple[str, int], Category]:
    """Categories the LLM gave, by (repository, number); stops when the budget is spent."""
    decided: dict[tuple[str, int], Category] = {}
    for issue in issues:
        prompt = categorize_prompt(issue)
        estimate = estimate_tokens(CATEGORIZE_SYSTEM + prompt) + MAX_OUTPUT_TOKENS
        reservation = ledger.reserve(estimate, purpose="categorize")
        if reservation is None:
            refusal = ledger.last_refusal
            log.warning(
                "%s: remaining issues keep rule-based categories",
                refusal.reason if refusal else "token budget spent",
            )
            break
        try:
            completion = provider.complete(
                prompt, system=CATEGORIZE_SYSTEM, max_tokens=MAX_OUTPUT_TOKENS
            )
        except LLMError as exc:
            ledger.settle(reservation, 0)
            log.warning("%s#%d: %s", issue.repository, issue.number, exc)
            continue
        except BaseException:
            ledger.settle(reservation, 0)  # never leave a reservation behind
            raise
        ledger.settle(reservation, completion.total_tokens)
        ledger.record(
            purpose="categorize",
            provider=provider.name,
            model=completion.model,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            repository=issue.repository,
            operation_id=current_operation_id(),
            reservation_id=reservation.id,
        )
        category = parse_category(completion.text)
        if category is not None and not acceptable(issue, category):
            log.info("%s#%d: LLM said security without evidence", issue.repository, issue.number)
            category = None
        if category is None:
            log.info("%s#%d: unusable LLM answer ignored", issue.repository, issue.number)
            continue
        decided[(issue.repository, issue.number)] = category
    return decided
