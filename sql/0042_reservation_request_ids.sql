-- A reservation retried after a lost connection must never be charged twice: each request
-- carries a client-chosen id, and a retry finds the reservation that did commit.
ALTER TABLE budget_reservations ADD COLUMN request_id uuid UNIQUE;
