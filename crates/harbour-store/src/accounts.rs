//! Staff accounts, sign-in throttling, agency API tokens, emergency access and the
//! data-protection officer's view of the audit. Every change is audited; every read of the
//! audit about a child is itself audited and allowed only to roles the policy names.

use crate::StoreError;
use crate::audit::{AuditEntry, Outcome};
use crate::gate::SearchQuery;
use crate::model::{ApiToken, AuditLine, BreakGlassGrant, SignInAccount, StaffMember};
use crate::store::{Store, principal_entry};
use harbour_domain::{AgencyId, PersonId, TenantCode, UserId};
use harbour_policy::{Function, Principal};
use time::OffsetDateTime;
use uuid::Uuid;

/// What an emergency-access request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakGlassOutcome {
    /// The policy gives none of the user's roles emergency access.
    NotPermitted,
    /// The reason is shorter than the policy's minimum.
    ReasonTooShort { min: usize },
    /// Emergency access needs an exact UPN or NHS number, not a name.
    NeedsIdentifier,
    /// No child (or more than one) has that identifier.
    NoMatch,
    Granted {
        person: PersonId,
        until: OffsetDateTime,
    },
}

/// How many audit lines a review page shows.
const AUDIT_PAGE: i64 = 500;

fn staff_entry(
    staff: &StaffMember,
    now: OffsetDateTime,
    action: &str,
    purpose: &str,
) -> AuditEntry {
    let mut entry = AuditEntry::new(now, staff.tenant.clone(), action, purpose);
    entry.agency = Some(staff.agency);
    entry.detail = serde_json::json!({ "user": staff.id }).to_string();
    entry
}

impl Store {
    // -- accounts -------------------------------------------------------------------------

    pub async fn account_by_email(&self, email: &str) -> Result<Option<SignInAccount>, StoreError> {
        on_backend!(self, accounts as q, pool => q::account_by_email(pool, email).await)
    }

    pub async fn account_by_id(&self, user: UserId) -> Result<Option<SignInAccount>, StoreError> {
        on_backend!(self, accounts as q, pool => q::account_by_id(pool, user).await)
    }

    pub async fn list_staff(&self, tenant: &TenantCode) -> Result<Vec<StaffMember>, StoreError> {
        on_backend!(self, accounts as q, pool => q::list_staff(pool, tenant).await)
    }

    /// Stores a new password hash (the caller hashes; the store never sees a password).
    pub async fn set_password_hash(
        &self,
        staff: &StaffMember,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let entry = staff_entry(
            staff,
            now,
            "set_password",
            "set a member of staff's password",
        );
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            a::set_password_hash(&mut tx, staff.id, hash).await?;
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets up (or, with `None`, removes) a second factor.
    pub async fn set_second_factor(
        &self,
        staff: &StaffMember,
        secret: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let action = if secret.is_some() {
            "set_second_factor"
        } else {
            "remove_second_factor"
        };
        let entry = staff_entry(
            staff,
            now,
            action,
            "manage a member of staff's second factor",
        );
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            a::set_totp_secret(&mut tx, staff.id, secret).await?;
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks a second-factor time step as used; false if it already was (a replayed code).
    pub async fn accept_second_factor_step(
        &self,
        user: UserId,
        step: u64,
    ) -> Result<bool, StoreError> {
        on_backend!(self, accounts as q, pool => q::accept_totp_step(pool, user, step).await)
    }

    /// Disables an account (ending its sessions at once) or enables it again.
    pub async fn set_disabled(
        &self,
        staff: &StaffMember,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let action = if disabled {
            "disable_user"
        } else {
            "enable_user"
        };
        let entry = staff_entry(staff, now, action, "manage a member of staff's access");
        let at = disabled.then_some(now);
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            a::set_disabled(&mut tx, staff.id, at).await?;
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every local authority this store holds.
    pub async fn tenants(&self) -> Result<Vec<(TenantCode, String)>, StoreError> {
        on_backend!(self, accounts as q, pool => q::tenants(pool).await)
    }

    // -- sign-in throttling -----------------------------------------------------------------

    /// Failure times since `since` for the account key and the client key.
    pub async fn sign_in_failures(
        &self,
        account_key: &str,
        client_key: &str,
        since: OffsetDateTime,
    ) -> Result<(Vec<OffsetDateTime>, Vec<OffsetDateTime>), StoreError> {
        on_backend!(self, accounts as q, pool => q::failures_since(pool, account_key, client_key, since).await)
    }

    /// Records a failed sign-in; audited against the account when it exists.
    pub async fn record_sign_in_failure(
        &self,
        account_key: &str,
        client_key: &str,
        account: Option<&StaffMember>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let forget_before = now - time::Duration::days(1);
        on_backend!(self, accounts as q, pool => q::record_failure(pool, account_key, client_key, now, forget_before).await)?;
        if let Some(staff) = account {
            let mut entry = staff_entry(staff, now, "sign_in_failed", "sign in");
            entry.outcome = Outcome::Denied;
            on_backend!(self, [queries as q, accounts as a], pool => {
                let mut tx = q::begin(pool).await?;
                q::append_audit(&mut tx, &entry).await?;
                tx.commit().await?;
            });
        }
        Ok(())
    }

    pub async fn clear_sign_in_failures(&self, account_key: &str) -> Result<(), StoreError> {
        on_backend!(self, accounts as q, pool => q::clear_account_failures(pool, account_key).await)
    }

    // -- agency API tokens ------------------------------------------------------------------

    /// Stores a new token's hash for an agency's system; returns the token's id.
    pub async fn create_api_token(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        label: &str,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let mut entry = AuditEntry::new(
            now,
            tenant.clone(),
            "create_api_token",
            "let an agency system submit feeds",
        );
        entry.agency = Some(agency);
        entry.detail = serde_json::json!({ "token": id, "scope": "feed_submission" }).to_string();
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            a::insert_api_token(&mut tx, id, tenant, agency, label, "feed_submission", token_hash, now).await?;
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
        });
        Ok(id)
    }

    /// The live token with this hash, if any.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        on_backend!(self, accounts as q, pool => q::api_token_by_hash(pool, token_hash).await)
    }

    pub async fn list_api_tokens(&self, tenant: &TenantCode) -> Result<Vec<ApiToken>, StoreError> {
        on_backend!(self, accounts as q, pool => q::list_api_tokens(pool, tenant).await)
    }

    /// Revokes a token; false if there was no live token with that id.
    pub async fn revoke_api_token(
        &self,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let revoked = a::revoke_api_token(&mut tx, id, now).await?;
            let Some((tenant, agency)) = revoked else { return Ok(false) };
            let mut entry = AuditEntry::new(now, tenant, "revoke_api_token", "stop an agency system submitting feeds");
            entry.agency = Some(agency);
            entry.detail = serde_json::json!({ "token": id }).to_string();
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    // -- emergency access -------------------------------------------------------------------

    /// Opens one child's record to `who` for the policy's time limit, if the policy lets
    /// their role use emergency access, the reason is long enough and exactly one child has
    /// the identifier. The caller has already re-checked the user's password. Granted or
    /// not, the attempt is audited and flagged.
    pub async fn break_glass(
        &self,
        who: &Principal,
        identifier: &SearchQuery,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<BreakGlassOutcome, StoreError> {
        let rules = self.policy.break_glass();
        let min = rules.min_reason_length;
        let reason = reason.trim();
        let mut entry = principal_entry(
            who,
            now,
            "break_glass",
            "emergency access to a child's record",
        );
        entry.outcome = Outcome::Denied;
        let refused = if !self.policy.may_break_glass(who) {
            Some(BreakGlassOutcome::NotPermitted)
        } else if reason.chars().count() < min {
            Some(BreakGlassOutcome::ReasonTooShort { min })
        } else if matches!(identifier, SearchQuery::Name(_)) {
            Some(BreakGlassOutcome::NeedsIdentifier)
        } else {
            None
        };
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let outcome = match refused {
                Some(outcome) => outcome,
                None => {
                    let (is_upn, value) = match identifier {
                        SearchQuery::Upn(upn) => (true, upn.as_str()),
                        SearchQuery::NhsNumber(nhs) => (false, nhs.as_str()),
                        SearchQuery::Name(_) => (false, ""),
                    };
                    let found = a::persons_by_identifier(&mut tx, &who.tenant, is_upn, value).await?;
                    match found.as_slice() {
                        [person] => {
                            let until = now + time::Duration::minutes(i64::from(rules.minutes));
                            let grant = Uuid::now_v7();
                            a::insert_grant(&mut tx, grant, &who.tenant, who.user, *person, reason, now, until).await?;
                            entry.outcome = Outcome::Allowed;
                            entry.subjects = vec![*person];
                            entry.detail = serde_json::json!({ "grant": grant, "minutes": rules.minutes, "lawful_basis": rules.lawful_basis }).to_string();
                            BreakGlassOutcome::Granted { person: *person, until }
                        }
                        _ => BreakGlassOutcome::NoMatch,
                    }
                }
            };
            if entry.outcome == Outcome::Denied {
                entry.detail = serde_json::json!({ "refused": format!("{outcome:?}").split([' ', '{']).next().unwrap_or("") }).to_string();
            }
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Emergency-access grants for review, or `None` if `who` may not review the audit.
    pub async fn break_glass_grants(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<BreakGlassGrant>>, StoreError> {
        let allowed = self.policy.allows_function(who, Function::AuditReview);
        let mut entry = principal_entry(who, now, "audit_review", "review emergency access");
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let grants = if allowed {
                Some(a::list_grants(&mut tx, &who.tenant, AUDIT_PAGE).await?)
            } else {
                entry.outcome = Outcome::Denied;
                None
            };
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(grants)
        })
    }

    /// Records the review of an emergency-access grant. `Ok(None)` if `who` may not review;
    /// `Ok(Some(false))` if there is no grant waiting with that id.
    pub async fn review_break_glass(
        &self,
        who: &Principal,
        grant: Uuid,
        outcome: &str,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<Option<bool>, StoreError> {
        let allowed = self.policy.allows_function(who, Function::AuditReview);
        let mut entry = principal_entry(who, now, "review_break_glass", "review emergency access");
        entry.detail = serde_json::json!({ "grant": grant, "outcome": outcome }).to_string();
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let result = if allowed {
                let reviewed = a::review_grant(&mut tx, &who.tenant, grant, who.user, outcome, note, now).await?;
                if let Some(person) = reviewed {
                    entry.subjects = vec![person];
                }
                Some(reviewed.is_some())
            } else {
                entry.outcome = Outcome::Denied;
                None
            };
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(result)
        })
    }

    /// Who has seen this child's record, when and why: every audit entry about them, newest
    /// first. `None` if `who` may not review the audit. The look is itself audited.
    pub async fn audit_for_person(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<AuditLine>>, StoreError> {
        let allowed = self.policy.allows_function(who, Function::AuditReview);
        let mut entry =
            principal_entry(who, now, "audit_review", "who has seen this child's record")
                .with_subjects([person]);
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let lines = if allowed {
                Some(a::audit_for_person(&mut tx, &who.tenant, person, AUDIT_PAGE).await?)
            } else {
                entry.outcome = Outcome::Denied;
                None
            };
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(lines)
        })
    }

    /// Refused attempts, newest first; `None` if `who` may not review the audit.
    pub async fn denied_attempts(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<AuditLine>>, StoreError> {
        let allowed = self.policy.allows_function(who, Function::AuditReview);
        let mut entry = principal_entry(who, now, "audit_review", "review refused attempts");
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let lines = if allowed {
                Some(a::denied_entries(&mut tx, &who.tenant, AUDIT_PAGE).await?)
            } else {
                entry.outcome = Outcome::Denied;
                None
            };
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(lines)
        })
    }

    /// Finds the child behind a UPN or NHS number for the audit review (the DPO has no view
    /// of records, so cannot search). Audited.
    pub async fn audit_find_person(
        &self,
        who: &Principal,
        identifier: &SearchQuery,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<PersonId>>, StoreError> {
        let allowed = self.policy.allows_function(who, Function::AuditReview);
        let mut entry = principal_entry(
            who,
            now,
            "audit_review",
            "find a child to review their audit",
        );
        on_backend!(self, [queries as q, accounts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let found = match (allowed, identifier) {
                (false, _) => {
                    entry.outcome = Outcome::Denied;
                    None
                }
                (true, SearchQuery::Upn(upn)) => Some(a::persons_by_identifier(&mut tx, &who.tenant, true, upn.as_str()).await?),
                (true, SearchQuery::NhsNumber(nhs)) => Some(a::persons_by_identifier(&mut tx, &who.tenant, false, nhs.as_str()).await?),
                (true, SearchQuery::Name(_)) => Some(Vec::new()),
            };
            if let Some(found) = &found {
                entry = entry.with_subjects(found.iter().copied());
            }
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(found)
        })
    }
}
