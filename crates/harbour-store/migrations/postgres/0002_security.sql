-- Security core (PostgreSQL). Kept in step with ../sqlite/0002_security.sql.

-- Argon2id PHC string; NULL for accounts that cannot sign in with a password (demo chooser only).
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Base32 TOTP secret once a second factor is set up, and the last time step accepted, so a
-- code cannot be replayed.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Failed sign-ins, for throttling by account and by client address. Old rows are pruned.
CREATE TABLE sign_in_failures (
    account_key  TEXT NOT NULL,
    client_key   TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account_key, at);
CREATE INDEX sign_in_failures_client ON sign_in_failures (client_key, at);

-- Tokens for agency systems that push feeds. Only a hash is kept; the token is shown once.
CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    tenant_code  TEXT NOT NULL REFERENCES tenants (code),
    agency_id    UUID NOT NULL REFERENCES agencies (id),
    label        TEXT NOT NULL,
    scope        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);

-- Emergency access grants: one user, one child, a reason, a time limit, and a review.
CREATE TABLE break_glass (
    tenant_code     TEXT NOT NULL,
    id              UUID NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id),
    person_id       UUID NOT NULL,
    reason          TEXT NOT NULL,
    granted_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    reviewed_at     TIMESTAMPTZ,
    reviewed_by     UUID REFERENCES users (id),
    review_outcome  TEXT,
    review_note     TEXT,
    PRIMARY KEY (tenant_code, id),
    FOREIGN KEY (tenant_code, person_id) REFERENCES persons (tenant_code, id)
);
CREATE INDEX break_glass_live ON break_glass (tenant_code, user_id, person_id, expires_at);

-- Every child an audit entry concerns (a search names each child it returned), so the
-- data-protection officer can ask "who has seen this child's record?". Part of the chain.
CREATE TABLE audit_subjects (
    tenant_code  TEXT NOT NULL,
    person_id    UUID NOT NULL,
    seq          BIGINT NOT NULL REFERENCES audit (seq),
    PRIMARY KEY (tenant_code, person_id, seq)
);
CREATE INDEX audit_subjects_seq ON audit_subjects (seq);

CREATE TRIGGER audit_subjects_append_only BEFORE UPDATE OR DELETE ON audit_subjects
    FOR EACH ROW EXECUTE FUNCTION harbour_append_only();
CREATE TRIGGER audit_subjects_no_truncate BEFORE TRUNCATE ON audit_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_append_only();
