//! CSV import of agencies, sites, accesses and incidents: all or nothing.
//!
//! The whole file is parsed and validated first (every problem is collected,
//! with its line, column and rule); only a clean file is written, in one
//! transaction, each row audited. Files may use `,` or `;` (Brazilian Excel)
//! as delimiter and may start with a UTF-8 BOM. Columns are matched by the
//! header's names, in any order; `docs/import.md` documents the layouts.
//! Incidents are checked exactly as [`App::create_incident`] checks one
//! (the same function), so a file row and a form are refused alike.

use crate::audit::{Action, record, record_created};
use crate::authz::{Resource, require_write};
use crate::closing::ensure_months_open;
use crate::incidents::{IncidentInput, validate_new_incident};
use crate::inventory::{ensure_sees, reference};
use crate::{App, AppError, AppResult};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, Responsibility};
use redegov_domain::inventory::*;
use redegov_domain::measure::{Month, Span, month_bounds, month_of};
use redegov_domain::money::Money;
use redegov_domain::role::{Actor, Scope};
use redegov_domain::time::{Timestamp, from_epoch, parse_instant, to_network_date};
use redegov_store::inventory::OperatorScoped;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::net::IpAddr;

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub rule: Rule,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linha {}, coluna {}: {}", self.line, self.column, self.rule.pt_br())
    }
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
}

/// What to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Agencies,
    Sites,
    Accesses,
    Incidents,
}

impl ImportKind {
    pub fn parse(text: &str) -> Option<ImportKind> {
        match text {
            "agencies" => Some(ImportKind::Agencies),
            "sites" => Some(ImportKind::Sites),
            "accesses" => Some(ImportKind::Accesses),
            "incidents" => Some(ImportKind::Incidents),
            _ => None,
        }
    }

    /// The columns of each layout; the first ones are required.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportKind::Agencies => (&["name", "acronym", "cnpj", "kind"], &[]),
            ImportKind::Sites => (
                &["agency_acronym", "address", "municipality_ibge", "area", "zone"],
                &["name", "contact_name", "contact_phone", "contact_email"],
            ),
            ImportKind::Accesses => (
                &["site_id", "lot_code", "bandwidth_mbps", "redundancy", "technology", "probe_targets"],
                &["service", "profile", "monthly_price", "activated_at"],
            ),
            ImportKind::Incidents => (
                &["access_id", "started_at", "responsibility"],
                &["probe_target", "ended_at", "cause", "ticket", "clock_stops", "notes", "source"],
            ),
        }
    }
}

/// Progress callback: (rows done, rows total).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Rows written per batch (and per progress report).
const BATCH: usize = 2000;

/// Stop collecting after this many problems: the file needs fixing anyway.
const MAX_PROBLEMS: usize = 200;

struct Table {
    header: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    fn get<'a>(&self, rec: &'a csv::StringRecord, column: &str) -> &'a str {
        self.header.get(column).and_then(|&i| rec.get(i)).map(str::trim).unwrap_or("")
    }
}

fn read_table(kind: ImportKind, data: &[u8]) -> AppResult<Table> {
    let data = data.strip_prefix("\u{feff}".as_bytes()).unwrap_or(data);
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let delimiter = if first_line.contains(&b';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(data);
    let problem = |line: usize, column: &str, rule: Rule| {
        AppError::Rejected(vec![ImportProblem { line, column: column.to_string(), rule }])
    };
    let header: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| problem(1, "-", Rule::Malformed(csv_error_hint(&e))))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_lowercase(), i))
        .collect();
    let (required, _) = kind.columns();
    let missing: Vec<ImportProblem> = required
        .iter()
        .filter(|c| !header.contains_key(**c))
        .map(|c| ImportProblem { line: 1, column: c.to_string(), rule: Rule::Required })
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Rejected(missing));
    }
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        match rec {
            Ok(r) if r.iter().all(|f| f.trim().is_empty()) => {}
            Ok(r) => rows.push((r.position().map(|p| p.line() as usize).unwrap_or(line), r)),
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(line);
                return Err(problem(line, "-", Rule::Malformed(csv_error_hint(&e))));
            }
        }
    }
    Ok(Table { header, rows })
}

fn csv_error_hint(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { .. } => "o mesmo número de colunas do cabeçalho",
        csv::ErrorKind::Utf8 { .. } => "texto em UTF-8",
        _ => "CSV válido",
    }
}

fn parse_int(field: &str, text: &str) -> Result<i64, FieldError> {
    if text.is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    text.parse().map_err(|_| FieldError::new(field, Rule::Malformed("número inteiro")))
}

/// An access by its number (`123`) or its designation on reports
/// (`AC-000123`).
fn parse_access_id(text: &str) -> Result<AccessId, FieldError> {
    let number = match text.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case("AC-") => &text[3..],
        _ => text,
    };
    if number.is_empty() {
        return Err(FieldError::new("access_id", Rule::Required));
    }
    number.parse().map(AccessId).map_err(|_| {
        FieldError::new("access_id", Rule::Malformed("número do acesso ou designação AC-000123"))
    })
}

/// An optional instant: empty is `None`.
fn parse_optional_instant(field: &str, text: &str) -> Result<Option<Timestamp>, FieldError> {
    if text.is_empty() { Ok(None) } else { parse_instant(field, text).map(Some) }
}

/// Clock stops as `from/to` pairs separated by `;`.
fn parse_clock_stops(text: &str) -> Result<Vec<Span>, FieldError> {
    let malformed = || {
        FieldError::new(
            "clock_stops",
            Rule::Malformed(
                "início/fim separados por ;, ex.: 2026-10-03T10:00:00-03:00/2026-10-03T11:00:00-03:00",
            ),
        )
    };
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (from, to) = pair.split_once('/').ok_or_else(malformed)?;
            let from = parse_instant("clock_stops", from).map_err(|_| malformed())?;
            let to = parse_instant("clock_stops", to).map_err(|_| malformed())?;
            Ok(Span::new(from.timestamp(), to.timestamp()))
        })
        .collect()
}

/// One incident row as [`App::create_incident`] takes it.
fn parse_incident(t: &Table, rec: &csv::StringRecord) -> Result<IncidentInput, FieldError> {
    let source = t.get(rec, "source");
    Ok(IncidentInput {
        access_id: parse_access_id(t.get(rec, "access_id"))?,
        probe_target: Some(t.get(rec, "probe_target").to_string()).filter(|p| !p.is_empty()),
        started_at: parse_instant("started_at", t.get(rec, "started_at"))?,
        ended_at: parse_optional_instant("ended_at", t.get(rec, "ended_at"))?,
        responsibility: Responsibility::parse("responsibility", t.get(rec, "responsibility"))?,
        cause: t.get(rec, "cause").into(),
        ticket: t.get(rec, "ticket").into(),
        clock_stops: parse_clock_stops(t.get(rec, "clock_stops"))?,
        notes: t.get(rec, "notes").into(),
        source: if source.is_empty() {
            IncidentSource::Manual
        } else {
            IncidentSource::parse("source", source)?
        },
    })
}

/// The months (in the network's time zone) a span touches.
fn months_of(span: Span) -> Vec<Month> {
    let last = month_of(to_network_date(from_epoch(span.end.max(span.start + 1) - 1)));
    let mut month = month_of(to_network_date(from_epoch(span.start)));
    let mut months = vec![month];
    while month < last {
        month = month.next();
        months.push(month);
    }
    months
}

/// Collects problems, stopping at [`MAX_PROBLEMS`].
#[derive(Default)]
struct Problems(Vec<ImportProblem>);

impl Problems {
    fn add(&mut self, line: usize, e: FieldError) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(ImportProblem { line, column: e.field, rule: e.rule });
        }
    }

    fn into_result(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Rejected(self.0)) }
    }
}

impl App {
    /// Imports a CSV file of `kind`; all rows or none.
    pub async fn import_csv(
        &self,
        actor: &Actor,
        kind: ImportKind,
        data: &[u8],
        progress: Progress<'_>,
    ) -> AppResult<ImportReport> {
        let table = read_table(kind, data)?;
        match kind {
            ImportKind::Agencies => self.import_agencies(actor, &table, progress).await,
            ImportKind::Sites => self.import_sites(actor, &table, progress).await,
            ImportKind::Accesses => self.import_accesses(actor, &table, progress).await,
            ImportKind::Incidents => self.import_incidents(actor, &table, progress).await,
        }
    }

    async fn import_agencies(
        &self,
        actor: &Actor,
        t: &Table,
        progress: Progress<'_>,
    ) -> AppResult<ImportReport> {
        require_write(actor, Resource::Agency)?;
        let mut problems = Problems::default();
        let mut valid = Vec::with_capacity(t.rows.len());
        for (line, rec) in &t.rows {
            let parsed = AgencyKind::parse("kind", t.get(rec, "kind")).and_then(|kind| {
                NewAgency::new(t.get(rec, "name"), t.get(rec, "acronym"), t.get(rec, "cnpj"), kind)
            });
            match parsed {
                Ok(a) => valid.push((*line, a)),
                Err(e) => problems.add(*line, e),
            }
        }
        problems.into_result()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let mut problems = Problems::default();
        for (i, (line, new)) in valid.iter().enumerate() {
            match tx.insert_agency(new).await {
                Ok(a) => {
                    record(&mut tx, actor, now, Action::Create, "agency", Some(a.id.0), None::<&()>, Some(&a))
                        .await?
                }
                Err(e) => match e.conflicting_field(&["cnpj", "acronym"]) {
                    Some(field) => problems.add(*line, FieldError::new(field, Rule::Duplicate)),
                    None => return Err(e.into()),
                },
            }
            progress(i + 1, valid.len());
        }
        problems.into_result()?;
        tx.commit().await?;
        Ok(ImportReport { rows: valid.len() })
    }

    async fn import_sites(
        &self,
        actor: &Actor,
        t: &Table,
        progress: Progress<'_>,
    ) -> AppResult<ImportReport> {
        require_write(actor, Resource::Site)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let agencies: HashMap<String, AgencyId> =
            tx.all_agencies().await?.into_iter().map(|a| (a.acronym.clone(), a.id)).collect();
        let mut problems = Problems::default();
        let mut valid = Vec::with_capacity(t.rows.len());
        for (line, rec) in &t.rows {
            let parsed = (|| {
                let acronym = t.get(rec, "agency_acronym").to_uppercase();
                let agency = *agencies
                    .get(&acronym)
                    .ok_or_else(|| FieldError::new("agency_acronym", Rule::UnknownReference))?;
                if let Scope::Agency(own) = actor.scope
                    && own != agency
                {
                    return Err(FieldError::new("agency_acronym", Rule::UnknownReference));
                }
                let ibge = parse_int("municipality_ibge", t.get(rec, "municipality_ibge"))?;
                let ibge = u32::try_from(ibge)
                    .map_err(|_| FieldError::new("municipality_ibge", Rule::UnknownMunicipality))?;
                NewSite::new(
                    agency,
                    t.get(rec, "name"),
                    t.get(rec, "address"),
                    ibge,
                    Area::parse("area", t.get(rec, "area"))?,
                    Zone::parse("zone", t.get(rec, "zone"))?,
                    Contact {
                        name: t.get(rec, "contact_name").into(),
                        phone: t.get(rec, "contact_phone").into(),
                        email: t.get(rec, "contact_email").into(),
                    },
                )
            })();
            match parsed {
                Ok(s) => valid.push(s),
                Err(e) => problems.add(*line, e),
            }
        }
        problems.into_result()?;
        for (i, new) in valid.iter().enumerate() {
            let s = tx.insert_site(new).await?;
            record(&mut tx, actor, now, Action::Create, "site", Some(s.id.0), None::<&()>, Some(&s)).await?;
            if (i + 1) % BATCH == 0 || i + 1 == valid.len() {
                progress(i + 1, valid.len());
            }
        }
        tx.commit().await?;
        Ok(ImportReport { rows: valid.len() })
    }

    async fn import_accesses(
        &self,
        actor: &Actor,
        t: &Table,
        progress: Progress<'_>,
    ) -> AppResult<ImportReport> {
        require_write(actor, Resource::Access)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let sites: HashMap<i64, Site> = tx.all_sites().await?.into_iter().map(|s| (s.id.0, s)).collect();
        let lots: HashMap<String, (Lot, Vec<Price>)> =
            tx.all_lots().await?.into_iter().map(|(l, p)| (l.code.to_uppercase(), (l, p))).collect();
        let mut problems = Problems::default();
        let mut valid = Vec::with_capacity(t.rows.len());
        for (line, rec) in &t.rows {
            let parsed = (|| {
                let site_id = parse_int("site_id", t.get(rec, "site_id"))?;
                let site =
                    sites.get(&site_id).ok_or_else(|| FieldError::new("site_id", Rule::UnknownReference))?;
                let (lot, prices) = lots
                    .get(&t.get(rec, "lot_code").to_uppercase())
                    .ok_or_else(|| FieldError::new("lot_code", Rule::UnknownReference))?;
                let price_text = t.get(rec, "monthly_price");
                let activated_text = t.get(rec, "activated_at");
                let profile_text = t.get(rec, "profile");
                let service = t.get(rec, "service");
                let draft = AccessDraft {
                    site_id: site.id,
                    lot_id: lot.id,
                    profile: if profile_text.is_empty() {
                        None
                    } else {
                        Some(Profile::parse("profile", profile_text)?)
                    },
                    service: if service.is_empty() { DEFAULT_SERVICE.into() } else { service.into() },
                    bandwidth_mbps: parse_int("bandwidth_mbps", t.get(rec, "bandwidth_mbps"))?,
                    redundancy: Redundancy::parse("redundancy", t.get(rec, "redundancy"))?,
                    technology: Technology::parse("technology", t.get(rec, "technology"))?,
                    monthly_price: if price_text.is_empty() {
                        None
                    } else {
                        Some(Money::parse_brl("monthly_price", price_text)?)
                    },
                    activated_at: if activated_text.is_empty() {
                        None
                    } else {
                        Some(parse_instant("activated_at", activated_text)?)
                    },
                    probe_targets: t
                        .get(rec, "probe_targets")
                        .split(['|', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                };
                // Validate now, so every problem is reported before writing.
                draft.validate(site, lot, prices, now)
            })();
            match parsed {
                Ok(v) => valid.push(v),
                Err(e) => problems.add(*line, e),
            }
        }
        problems.into_result()?;
        let mut done = 0;
        for chunk in valid.chunks(BATCH) {
            let saved = tx.insert_accesses(chunk).await?;
            record_created(&mut tx, actor, now, "access", &saved, |a| a.id.0).await?;
            done += chunk.len();
            progress(done, valid.len());
        }
        tx.commit().await?;
        Ok(ImportReport { rows: valid.len() })
    }

    async fn import_incidents(
        &self,
        actor: &Actor,
        t: &Table,
        progress: Progress<'_>,
    ) -> AppResult<ImportReport> {
        require_write(actor, Resource::Incident)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        // Each access and each month is looked up once, however many rows
        // name it; `None` is an access that does not exist or is out of scope.
        let mut accesses: HashMap<AccessId, Option<Vec<IpAddr>>> = HashMap::new();
        let mut closed: HashMap<Month, Option<FieldError>> = HashMap::new();
        let mut problems = Problems::default();
        let mut valid = Vec::with_capacity(t.rows.len());
        for (line, rec) in &t.rows {
            let input = match parse_incident(t, rec) {
                Ok(input) => input,
                Err(e) => {
                    problems.add(*line, e);
                    continue;
                }
            };
            let targets = match accesses.entry(input.access_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let id = input.access_id;
                    // The same checks as `create_incident`: unknown or
                    // invisible accesses are both an unknown reference.
                    let found = match reference(tx.access(id).await, "access_id").await {
                        Ok(row) => {
                            match ensure_sees(
                                &mut tx,
                                actor,
                                OperatorScoped::Access,
                                id.0,
                                Some(row.agency_id),
                            )
                            .await
                            {
                                Ok(()) => Some(row.access.probe_targets),
                                Err(AppError::NotFound(_)) => None,
                                Err(other) => return Err(other),
                            }
                        }
                        Err(AppError::Invalid(_)) => None,
                        Err(other) => return Err(other),
                    };
                    e.insert(found)
                }
            };
            let Some(targets) = targets else {
                problems.add(*line, FieldError::new("access_id", Rule::UnknownReference));
                continue;
            };
            let (new, span) = match validate_new_incident(actor, input, targets, now) {
                Ok(v) => v,
                Err(AppError::Invalid(e)) => {
                    problems.add(*line, e);
                    continue;
                }
                Err(other) => return Err(other),
            };
            let mut month_problem = None;
            for month in months_of(span) {
                let closing = match closed.entry(month) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        let found = match ensure_months_open(&mut tx, month_bounds(month), "started_at").await
                        {
                            Ok(()) => None,
                            Err(AppError::Invalid(fe)) => Some(fe),
                            Err(other) => return Err(other),
                        };
                        e.insert(found)
                    }
                };
                if let Some(fe) = closing {
                    month_problem = Some(fe.clone());
                    break;
                }
            }
            match month_problem {
                Some(fe) => problems.add(*line, fe),
                None => valid.push(new),
            }
        }
        problems.into_result()?;
        let mut done = 0;
        for chunk in valid.chunks(BATCH) {
            let saved = tx.insert_incidents(chunk, now).await?;
            record_created(&mut tx, actor, now, "incident", &saved, |i| i.id.0).await?;
            done += chunk.len();
            progress(done, valid.len());
        }
        tx.commit().await?;
        Ok(ImportReport { rows: valid.len() })
    }
}
