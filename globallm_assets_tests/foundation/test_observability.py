import io
import logging

from globallm_assets.observability import (
    configure_logging,
    operation,
    redact,
    register_secrets,
)


def test_log_lines_carry_the_operation_id_and_never_a_secret():
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    secret = "ghp_" + "q" * 36
    register_secrets([secret, None, "abc"])
    log = logging.getLogger("globallm_assets.test")
    with operation("op123abc") as op_id:
        log.info("calling GitHub with %s", secret)
        try:
            raise RuntimeError(f"bad credentials {secret}")
        except RuntimeError:
            log.exception("request failed")
    text = stream.getvalue()
    assert op_id == "op123abc"
    assert "[op=op123abc]" in text
    assert secret not in text
    assert text.count("***") >= 2
    # Short values are not treated as secrets (they would redact ordinary words).
    assert redact("abc def") == "abc def"


def test_each_operation_gets_its_own_id():
    with operation() as first, operation() as second:
        assert first != second
