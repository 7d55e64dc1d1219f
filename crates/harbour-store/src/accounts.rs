//! Staff accounts, sign-in throttling, agency API tokens, emergency access and the
//! data-protection officer's view of the audit. Every change is audited; every read of the
//! audit about a child is itself audited and allowed only to roles the policy names.

use crate::StoreError;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::model::{
    ApiToken, AuditLines, AuditOfPerson, AuditPage, BreakGlassGrant, SignInAccount, StaffMember,
};
use crate::search::SearchQuery;
use crate::store::Store;
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

/// Why an emergency-access request was refused, as the audit records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakGlassRefusal {
    /// The policy gives none of the user's roles emergency access.
    NotPermitted,
    /// The form named no UPN or NHS number.
    NeedsIdentifier,
    /// The reason is shorter than the policy's minimum.
    ReasonTooShort,
    /// The form carried no password.
    NoPassword,
    /// The password re-entered was not the user's.
    WrongPassword,
    /// Too many recent failures: the sign-in throttle says wait.
    Throttled,
    /// No child (or more than one) has the identifier.
    NoMatch,
}

impl BreakGlassRefusal {
    /// The stable code in the audit entry's detail.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotPermitted => "not_permitted",
            Self::NeedsIdentifier => "needs_identifier",
            Self::ReasonTooShort => "reason_too_short",
            Self::NoPassword => "no_password",
            Self::WrongPassword => "wrong_password",
            Self::Throttled => "throttled",
            Self::NoMatch => "no_match",
        }
    }

    fn detail(self) -> String {
        serde_json::json!({ "refused": self.code() }).to_string()
    }
}

/// Why a sign-in was refused, as the audit records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// The throttle said wait; the credentials were not looked at.
    Throttled,
    /// The password was right, but the role needs a second factor and none is set up.
    NoSecondFactor,
}

impl SignInRefusal {
    fn action(self) -> &'static str {
        match self {
            Self::Throttled => "sign_in_throttled",
            Self::NoSecondFactor => "sign_in_refused",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::NoSecondFactor => "no_second_factor",
        }
    }
}

/// The audit's detail for a refused sign-in: the account if it exists (never what was typed:
/// a mistyped email may be a password), why, and the client's address.
fn sign_in_detail(account: Option<&StaffMember>, refused: &str, client: &str) -> String {
    match account {
        Some(staff) => serde_json::json!({ "user": staff.id, "refused": refused, "client": client }),
        None => serde_json::json!({ "account": "unknown_account", "refused": refused, "client": client }),
    }
    .to_string()
}

/// How many audit lines a review page shows.
const AUDIT_PAGE: i64 = 500;

/// The service acting on a member of staff's account (an administrator at the command line,
/// or sign-in itself): audited against their agency, naming them in the detail.
fn for_staff(staff: &StaffMember) -> Actor<'_> {
    Actor::Service {
        tenant: &staff.tenant,
        agency: Some(staff.agency),
    }
}

/// The data-protection officer's reviews all need the same function.
const AUDIT_REVIEW: Needs = Needs::Function(Function::AuditReview);

impl Store {
    // -- accounts -------------------------------------------------------------------------

    /// Authentication: the account a sign-in names, before there is anyone to audit.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<SignInAccount>, StoreError> {
        on_backend!(self, accounts as q, pool => q::account_by_email(pool, email).await)
    }

    /// Authentication: the account behind a session, to re-check its password.
    pub async fn account_by_id(&self, user: UserId) -> Result<Option<SignInAccount>, StoreError> {
        on_backend!(self, accounts as q, pool => q::account_by_id(pool, user).await)
    }

    /// The staff directory, for an administrator at the command line.
    pub async fn list_staff(&self, tenant: &TenantCode) -> Result<Vec<StaffMember>, StoreError> {
        on_backend!(self, accounts as q, pool => q::list_staff(pool, tenant).await)
    }

    /// A change to a member of staff's account, through the gate, naming them in the audit.
    async fn staff_change(
        &self,
        staff: &StaffMember,
        work: Work,
        now: OffsetDateTime,
    ) -> Result<Guarded, StoreError> {
        let mut g = self
            .gate(for_staff(staff), Needs::Service, work, now)
            .await?
            .ok_or(StoreError::Refused)?;
        g.entry.detail = serde_json::json!({ "user": staff.id }).to_string();
        Ok(g)
    }

    /// Stores a new password hash (the caller hashes; the store never sees a password).
    pub async fn set_password_hash(
        &self,
        staff: &StaffMember,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("set_password", "set a member of staff's password");
        let mut g = self.staff_change(staff, work, now).await?;
        in_gate!(g, accounts as a, tx => a::set_password_hash(tx, staff.id, hash).await)?;
        g.commit().await
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
        let work = Work::new(action, "manage a member of staff's second factor");
        let mut g = self.staff_change(staff, work, now).await?;
        in_gate!(g, accounts as a, tx => a::set_totp_secret(tx, staff.id, secret).await)?;
        g.commit().await
    }

    /// Authentication: marks a second-factor time step as used; false if it already was (a
    /// replayed code).
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
        let work = Work::new(action, "manage a member of staff's access");
        let at = disabled.then_some(now);
        let mut g = self.staff_change(staff, work, now).await?;
        in_gate!(g, accounts as a, tx => a::set_disabled(tx, staff.id, at).await)?;
        g.commit().await
    }

    /// Every local authority this store holds: a directory, not personal data.
    pub async fn tenants(&self) -> Result<Vec<(TenantCode, String)>, StoreError> {
        on_backend!(self, accounts as q, pool => q::tenants(pool).await)
    }

    // -- sign-in throttling -----------------------------------------------------------------

    /// Authentication: failure times since `since` for the account key and the client key.
    pub async fn sign_in_failures(
        &self,
        account_key: &str,
        client_key: &str,
        since: OffsetDateTime,
    ) -> Result<(Vec<OffsetDateTime>, Vec<OffsetDateTime>), StoreError> {
        on_backend!(self, accounts as q, pool => q::failures_since(pool, account_key, client_key, since).await)
    }

    /// Records a failed sign-in (counted by the throttle) and audits it: against the
    /// account's local authority when the account exists, otherwise under every local
    /// authority this store holds (an unknown account belongs to none of them, and each one's
    /// data-protection officer should see attempts on the service; a deployment holds one or
    /// a few). The detail never holds what was typed.
    pub async fn record_sign_in_failure(
        &self,
        account_key: &str,
        client_key: &str,
        account: Option<&StaffMember>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let forget_before = now - time::Duration::days(1);
        on_backend!(self, accounts as q, pool => q::record_failure(pool, account_key, client_key, now, forget_before).await)?;
        let detail = sign_in_detail(account, "wrong_credentials", client_key);
        let work = Work::new("sign_in_failed", "sign in");
        match account {
            Some(staff) => {
                self.audit_refusal(for_staff(staff), work, detail, now)
                    .await
            }
            None => self.audit_unknown_account(work, detail, now).await,
        }
    }

    /// Audits a sign-in refused for another reason than wrong credentials: throttled (each
    /// attempt, none dropped), or a role that needs a second factor without one.
    pub async fn refuse_sign_in(
        &self,
        account: Option<&StaffMember>,
        refusal: SignInRefusal,
        client_key: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let detail = sign_in_detail(account, refusal.code(), client_key);
        let work = Work::new(refusal.action(), "sign in");
        match account {
            Some(staff) => {
                self.audit_refusal(for_staff(staff), work, detail, now)
                    .await
            }
            None => self.audit_unknown_account(work, detail, now).await,
        }
    }

    /// A refusal about no account: audited under every local authority the store holds.
    async fn audit_unknown_account(
        &self,
        work: Work,
        detail: String,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        for (tenant, _) in self.tenants().await? {
            let actor = Actor::Service {
                tenant: &tenant,
                agency: None,
            };
            self.audit_refusal(actor, work, detail.clone(), now).await?;
        }
        Ok(())
    }

    /// Authentication: forgets an account's failures after a good sign-in.
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
        let work = Work::new("create_api_token", "let an agency system submit feeds");
        let mut g = self.service_gate(tenant, Some(agency), work, now).await?;
        g.entry.detail = serde_json::json!({ "token": id, "scope": "feed_submission" }).to_string();
        in_gate!(g, accounts as a, tx => a::insert_api_token(tx, id, tenant, agency, label, "feed_submission", token_hash, now).await)?;
        g.commit().await?;
        Ok(id)
    }

    /// Authentication: the live token with this hash, if any.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        on_backend!(self, accounts as q, pool => q::api_token_by_hash(pool, token_hash).await)
    }

    /// The tokens of a local authority (labels and dates, never the tokens), for an
    /// administrator at the command line.
    pub async fn list_api_tokens(&self, tenant: &TenantCode) -> Result<Vec<ApiToken>, StoreError> {
        on_backend!(self, accounts as q, pool => q::list_api_tokens(pool, tenant).await)
    }

    /// Revokes a token; false if there was no live token with that id.
    pub async fn revoke_api_token(
        &self,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // The token names its own local authority and agency, so look it up first: the
        // administrator gives only its id.
        let found = on_backend!(self, accounts as q, pool => q::api_token_owner(pool, id).await)?;
        let Some((tenant, agency)) = found else {
            return Ok(false);
        };
        let work = Work::new("revoke_api_token", "stop an agency system submitting feeds");
        let mut g = self.service_gate(&tenant, Some(agency), work, now).await?;
        g.entry.detail = serde_json::json!({ "token": id }).to_string();
        let revoked = in_gate!(g, accounts as a, tx => a::revoke_api_token(tx, id, now).await)?;
        if revoked.is_none() {
            return Ok(false);
        }
        g.commit().await?;
        Ok(true)
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
        let work = Work::new("break_glass", "emergency access to a child's record");
        let refused = if !self.policy.may_break_glass(who) {
            Some((
                BreakGlassOutcome::NotPermitted,
                BreakGlassRefusal::NotPermitted,
            ))
        } else if reason.chars().count() < min {
            Some((
                BreakGlassOutcome::ReasonTooShort { min },
                BreakGlassRefusal::ReasonTooShort,
            ))
        } else if matches!(identifier, SearchQuery::Name(_)) {
            Some((
                BreakGlassOutcome::NeedsIdentifier,
                BreakGlassRefusal::NeedsIdentifier,
            ))
        } else {
            None
        };
        if let Some((outcome, refusal)) = refused {
            self.audit_refusal(Actor::Staff(who), work, refusal.detail(), now)
                .await?;
            return Ok(outcome);
        }
        let mut g = self
            .gate(Actor::Staff(who), Needs::Own, work, now)
            .await?
            .ok_or(StoreError::Refused)?;
        let (is_upn, value) = match identifier {
            SearchQuery::Upn(upn) => (true, upn.as_str()),
            SearchQuery::NhsNumber(nhs) => (false, nhs.as_str()),
            SearchQuery::Name(_) => (false, ""),
        };
        let found = in_gate!(g, accounts as a, tx => a::persons_by_identifier(tx, &who.tenant, is_upn, value).await)?;
        let [person] = found.as_slice() else {
            g.refuse(Some(BreakGlassRefusal::NoMatch.detail())).await?;
            return Ok(BreakGlassOutcome::NoMatch);
        };
        let until = now + time::Duration::minutes(i64::from(rules.minutes));
        let grant = Uuid::now_v7();
        in_gate!(g, accounts as a, tx => a::insert_grant(tx, grant, &who.tenant, who.user, *person, reason, now, until).await)?;
        g.entry.set_subjects([*person]);
        g.entry.detail = serde_json::json!({ "grant": grant, "minutes": rules.minutes, "lawful_basis": rules.lawful_basis }).to_string();
        g.commit().await?;
        Ok(BreakGlassOutcome::Granted {
            person: *person,
            until,
        })
    }

    /// Audits an emergency-access request the web layer refused before asking for the
    /// record: the form incomplete, the password wrong, the throttle saying wait, or a role
    /// without emergency access.
    pub async fn refuse_break_glass(
        &self,
        who: &Principal,
        refusal: BreakGlassRefusal,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new("break_glass", "emergency access to a child's record");
        self.audit_refusal(Actor::Staff(who), work, refusal.detail(), now)
            .await
    }

    /// Whether `who` may open the audit review (its first page holds no record): audited
    /// either way, so a refused look at the audit is on the record.
    pub async fn open_audit_review(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let work = Work::new("audit_review", "open the audit review");
        let Some(g) = self
            .gate_read(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(false);
        };
        g.commit().await?;
        Ok(true)
    }

    /// Emergency-access grants for review, or `None` if `who` may not review the audit.
    pub async fn break_glass_grants(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<BreakGlassGrant>>, StoreError> {
        let work = Work::new("audit_review", "review emergency access");
        let Some(mut g) = self
            .gate(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        let grants =
            in_gate!(g, accounts as a, tx => a::list_grants(tx, &who.tenant, AUDIT_PAGE).await)?;
        g.commit().await?;
        Ok(Some(grants))
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
        let work = Work::new("review_break_glass", "review emergency access");
        let Some(mut g) = self
            .gate(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.detail = serde_json::json!({ "grant": grant, "outcome": outcome }).to_string();
        let reviewed = in_gate!(g, accounts as a, tx => a::review_grant(tx, &who.tenant, grant, who.user, outcome, note, now).await)?;
        if let Some(person) = reviewed {
            g.entry.set_subjects([person]);
        }
        g.commit().await?;
        Ok(Some(reviewed.is_some()))
    }

    /// Who has seen this child's record, when and why: every audit entry about them, newest
    /// first. `None` if `who` may not review the audit. The look is itself audited.
    pub async fn audit_for_person(
        &self,
        who: &Principal,
        person: PersonId,
        page: AuditPage,
        now: OffsetDateTime,
    ) -> Result<Option<AuditOfPerson>, StoreError> {
        let work = Work::new("audit_review", "who has seen this child's record");
        let Some(mut g) = self
            .gate(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.set_subjects([person]);
        // The child's name, read for the audit review itself (the reviewer has no records
        // scope): the entry says it was shown.
        g.entry.detail = serde_json::json!({ "shown": "name" }).to_string();
        let lines = in_gate!(g, accounts as a, tx => a::audit_for_person(tx, &who.tenant, person, page).await)?;
        let name = in_gate!(g, accounts as a, tx => a::person_name(tx, &who.tenant, person).await)?;
        g.commit().await?;
        Ok(Some(AuditOfPerson { name, lines }))
    }

    /// One page of the refused attempts, newest first, with how many there are in all;
    /// `None` if `who` may not review the audit.
    pub async fn denied_attempts(
        &self,
        who: &Principal,
        page: AuditPage,
        now: OffsetDateTime,
    ) -> Result<Option<AuditLines>, StoreError> {
        let work = Work::new("audit_review", "review refused attempts");
        let Some(mut g) = self
            .gate(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        let lines =
            in_gate!(g, accounts as a, tx => a::denied_entries(tx, &who.tenant, page).await)?;
        g.commit().await?;
        Ok(Some(lines))
    }

    /// Finds the child behind a UPN or NHS number for the audit review (the DPO has no view
    /// of records, so cannot search). Audited.
    pub async fn audit_find_person(
        &self,
        who: &Principal,
        identifier: &SearchQuery,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<PersonId>>, StoreError> {
        let work = Work::new("audit_review", "find a child to review their audit");
        let Some(mut g) = self
            .gate(Actor::Staff(who), AUDIT_REVIEW, work, now)
            .await?
        else {
            return Ok(None);
        };
        let found = in_gate!(g, accounts as a, tx => match identifier {
            SearchQuery::Upn(upn) => a::persons_by_identifier(tx, &who.tenant, true, upn.as_str()).await?,
            SearchQuery::NhsNumber(nhs) => a::persons_by_identifier(tx, &who.tenant, false, nhs.as_str()).await?,
            SearchQuery::Name(_) => Vec::new(),
        });
        g.entry.set_subjects(found.iter().copied());
        g.commit().await?;
        Ok(Some(found))
    }
}
