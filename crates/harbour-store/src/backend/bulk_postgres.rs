//! Writing a batch's new rows on PostgreSQL with `COPY … FROM STDIN`: one stream per table
//! per batch, no statement to parse and no bound values, the way PostgreSQL loads data
//! fastest. Inside the batch's transaction, so a failed batch leaves nothing behind.

use super::Db;
use super::imports::{NewEvent, NewRecord};
use super::queries::Tx;
use crate::StoreError;
use harbour_domain::{AgencyId, TenantCode};
use sqlx::{FromRow, QueryBuilder};
use std::fmt::Write as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// `SELECT {columns} FROM {table} WHERE tenant_code = .. [AND agency_id = ..] AND {column} = ANY(..)`:
/// the whole batch's values as one array, one statement.
pub(crate) async fn lookup<T>(
    tx: &mut Tx,
    select: &str,
    tenant: &TenantCode,
    agency: Option<AgencyId>,
    column: &str,
    values: &[String],
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Db>::new(select);
    qb.push(" WHERE tenant_code = ")
        .push_bind(tenant.as_str().to_owned());
    if let Some(agency) = agency {
        qb.push(" AND agency_id = ").push_bind(agency.0);
    }
    qb.push(format!(" AND {column} = ANY("))
        .push_bind(values.to_vec())
        .push(")");
    Ok(qb.build_query_as::<T>().fetch_all(&mut **tx).await?)
}

/// Rows in `COPY`'s text format: tab-separated columns, one row per line, `\N` for NULL.
struct CopyText {
    buffer: String,
    row_started: bool,
}

impl CopyText {
    fn new(rows: usize) -> Self {
        Self {
            buffer: String::with_capacity(rows * 200),
            row_started: false,
        }
    }

    fn separator(&mut self) {
        if self.row_started {
            self.buffer.push('\t');
        }
        self.row_started = true;
    }

    /// A text value, escaped so that no byte of it can end a column or a row.
    fn text(&mut self, value: &str) -> &mut Self {
        self.separator();
        // Most values need no escaping: copy them whole.
        if !value
            .bytes()
            .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
        {
            self.buffer.push_str(value);
            return self;
        }
        for c in value.chars() {
            match c {
                '\\' => self.buffer.push_str("\\\\"),
                '\t' => self.buffer.push_str("\\t"),
                '\n' => self.buffer.push_str("\\n"),
                '\r' => self.buffer.push_str("\\r"),
                c => self.buffer.push(c),
            }
        }
        self
    }

    fn optional(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => {
                self.separator();
                self.buffer.push_str("\\N");
                self
            }
        }
    }

    /// A value whose display form never needs escaping (UUIDs, numbers, ISO dates).
    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        self.separator();
        let _ = write!(self.buffer, "{value}");
        self
    }

    fn end_row(&mut self) {
        self.buffer.push('\n');
        self.row_started = false;
    }
}

/// Rows per `CopyData` message: the server parses and stores each chunk while the next one
/// is written, instead of waiting for the whole batch's text.
const CHUNK_ROWS: usize = 1_000;

/// Streams `rows` to `statement` (a `COPY … FROM STDIN`), each written by `write`.
async fn copy_rows<T>(
    tx: &mut Tx,
    statement: &'static str,
    rows: &[T],
    mut write: impl FnMut(&mut CopyText, &T),
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = (**tx).copy_in_raw(statement).await?;
    for chunk in rows.chunks(CHUNK_ROWS) {
        let mut text = CopyText::new(chunk.len());
        for row in chunk {
            write(&mut text, row);
        }
        copy.send(text.buffer.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

fn timestamp(now: OffsetDateTime) -> Result<String, StoreError> {
    now.format(&Rfc3339)
        .map_err(|e| StoreError::corrupt(format!("a timestamp cannot be written: {e}")))
}

pub(crate) async fn persons(
    tx: &mut Tx,
    tenant: &TenantCode,
    ids: &[Uuid],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let now = timestamp(now)?;
    copy_rows(
        tx,
        "COPY persons (tenant_code, id, created_at) FROM STDIN",
        ids,
        |copy, id| {
            copy.text(tenant.as_str()).plain(id).text(&now).end_row();
        },
    )
    .await
}

pub(crate) async fn records(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    records: &[NewRecord<'_>],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let now = timestamp(now)?;
    copy_rows(
        tx,
        "COPY source_records (tenant_code, id, agency_id, record_key, person_id, given_name, \
         family_name, date_of_birth, sex, upn, nhs_number, postcode, alias, recorded_at) FROM STDIN",
        records,
        |copy, record| {
            let identity = record.identity;
            copy.text(tenant.as_str())
                .plain(record.id)
                .plain(agency.0)
                .text(&identity.record_key)
                .plain(record.person)
                .text(&identity.given_name)
                .text(&identity.family_name)
                .optional(identity.date_of_birth.map(|d| d.to_string()).as_deref())
                .optional(identity.sex.as_deref())
                .optional(identity.upn.as_ref().map(|u| u.as_str()))
                .optional(identity.nhs_number.as_ref().map(|n| n.as_str()))
                .optional(identity.postcode.as_ref().map(|p| p.as_str()))
                .optional(identity.alias.as_deref())
                .text(&now)
                .end_row();
        },
    )
    .await
}

pub(crate) async fn events(
    tx: &mut Tx,
    tenant: &TenantCode,
    agency: AgencyId,
    events: &[NewEvent<'_>],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let now = timestamp(now)?;
    copy_rows(
        tx,
        "COPY events (tenant_code, id, source_record_id, agency_id, record_key, version, kind, \
         occurred_on, recorded_at, handling, summary, details, content_hash, about_school) FROM STDIN",
        events,
        |copy, new| {
            let event = &new.row.event;
            copy.text(tenant.as_str())
                .plain(Uuid::now_v7())
                .plain(new.record)
                .plain(agency.0)
                .text(&event.event_key)
                .plain(new.version)
                .text(event.kind.as_str())
                .plain(event.occurred_on)
                .text(&now)
                .text(event.handling.as_str())
                .text(&event.summary)
                .text(new.row.details_text())
                .text(&new.hash)
                .optional(event.about_school.as_ref().map(|s| s.as_str()))
                .end_row();
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::CopyText;

    #[test]
    fn text_format_escapes_what_would_end_a_column_or_row() {
        let mut copy = CopyText::new(1);
        copy.text("a\tb\nc\\d\re").optional(None).plain(7).end_row();
        assert_eq!(copy.buffer, "a\\tb\\nc\\\\d\\re\t\\N\t7\n");
    }
}
