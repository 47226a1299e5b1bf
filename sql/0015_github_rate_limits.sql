-- GitHub rate-limit state shared by every process using this store (six language runs, agents on
-- many machines): what is left of each token's quota per resource, and pauses after a secondary
-- limit. Tokens are never stored: rows are keyed by a SHA-256 of the token. Times are epoch
-- seconds, as GitHub reports them in X-RateLimit-Reset.

CREATE TABLE github_rate_limits (
    token_key  text NOT NULL,
    resource   text NOT NULL,                -- core | graphql | search | code_search
    remaining  integer NOT NULL,             -- GitHub's last word, less what was reserved since
    reset_at   double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_key, resource)
);

CREATE TABLE github_pauses (
    token_key  text PRIMARY KEY,
    until      double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Take one unit of a token's quota for a request about to go out, atomically (the row is locked
-- for the check and the decrement). NULL: it may go (also when the quota is not known yet, or
-- its window is over); else the time until which the token is paused or out of quota.
CREATE FUNCTION github_rate_reserve(
    p_key text, p_resource text, p_now double precision, p_slack double precision
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    paused_until double precision;
    quota github_rate_limits%ROWTYPE;
BEGIN
    SELECT until INTO paused_until FROM github_pauses WHERE token_key = p_key AND until > p_now;
    IF FOUND THEN
        RETURN paused_until;
    END IF;
    SELECT * INTO quota FROM github_rate_limits
     WHERE token_key = p_key AND resource = p_resource
       FOR UPDATE;
    IF NOT FOUND OR quota.reset_at + p_slack <= p_now THEN
        RETURN NULL;
    END IF;
    IF quota.remaining <= 0 THEN
        RETURN quota.reset_at;
    END IF;
    UPDATE github_rate_limits SET remaining = remaining - 1, updated_at = now()
     WHERE token_key = p_key AND resource = p_resource;
    RETURN NULL;
END
$$;
