//! The calendar as the network uses it (issue #4): which holidays apply in
//! a place and when a deadline falls due there, the network's calendar
//! settings (its state, and whether Carnival and Corpus Christi are
//! holidays under the contract), and the holidays kept as data — a
//! municipality's, or extra ones for the whole network.
//!
//! The place's calendar is: the state's holidays (the state asked for, else
//! the municipality's own state, else the settings' state), the settings'
//! optional holidays, the network-wide holidays kept as data, and the
//! municipality's. [`calendar_for`] builds it inside a use case's
//! transaction (service orders count their deadlines with it).
//!
//! Every authenticated role reads the calendar; only admin changes the
//! settings; admin and the network manager keep the holidays. Counting
//! itself is the domain's ([`redegov_domain::calendar`]).

use crate::audit::{Action, record};
use crate::{App, AppError, AppResult};
use chrono::NaiveDate;
use redegov_domain::calendar::{self, Calendar, DayUnit, Holiday, HolidayId};
use redegov_domain::error::{FieldError, Rule, required};
use redegov_domain::municipality;
use redegov_domain::role::{Actor, Role};
use redegov_store::Tx;
use redegov_store::calendar::NewHoliday;

pub use redegov_store::calendar::{CalendarSettings, HolidayRecord};

/// The longest holiday name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// Whether a role reads holidays and due dates: every role does; written as
/// a `match` so a new role is a decision, not an accident.
fn may_read(role: Role) -> bool {
    match role {
        Role::Admin
        | Role::Committee
        | Role::NetworkManager
        | Role::ContractManager
        | Role::AgencyManager
        | Role::Operator
        | Role::Auditor => true,
    }
}

fn require_reader(actor: &Actor) -> AppResult<()> {
    if may_read(actor.role) { Ok(()) } else { Err(AppError::Forbidden("read the calendar")) }
}

fn require_settings_writer(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Admin { Ok(()) } else { Err(AppError::Forbidden("change the calendar settings")) }
}

fn require_holiday_keeper(actor: &Actor) -> AppResult<()> {
    if matches!(actor.role, Role::Admin | Role::NetworkManager) {
        Ok(())
    } else {
        Err(AppError::Forbidden("add or remove holidays"))
    }
}

/// Checks an IBGE municipality code; returns its state.
fn municipality_state(field: &str, code: u32) -> AppResult<&'static str> {
    municipality::by_code(code)
        .map(|m| m.uf)
        .ok_or_else(|| FieldError::new(field, Rule::UnknownMunicipality).into())
}

/// The calendar of a place, read in `tx`: `state` when given, else the
/// municipality's state, else the settings' state; the settings' optional
/// holidays; the network-wide holidays kept as data and, with a
/// municipality, its own. The municipality must be a known IBGE code.
async fn place_calendar(
    tx: &mut Tx,
    state: Option<String>,
    municipality_ibge: Option<u32>,
    municipality_field: &str,
) -> AppResult<Calendar> {
    let settings = tx.calendar_settings().await?;
    let own_state = municipality_ibge.map(|code| municipality_state(municipality_field, code)).transpose()?;
    let state = state.or_else(|| own_state.map(str::to_string)).or(settings.state);
    let extra = tx
        .holidays_for(municipality_ibge, None)
        .await?
        .into_iter()
        .map(|h| Holiday { date: h.date, name: h.name })
        .collect();
    Ok(Calendar { state, carnival: settings.carnival, corpus_christi: settings.corpus_christi, extra })
}

/// The calendar that applies in a municipality (`None`: the network's,
/// without municipal holidays), from the settings and the holidays kept as
/// data. For use cases that count deadlines inside their own transaction.
pub(crate) async fn calendar_for(tx: &mut Tx, municipality_ibge: Option<u32>) -> AppResult<Calendar> {
    place_calendar(tx, None, municipality_ibge, "municipality_ibge").await
}

/// The calendar a query asks for: `state` and `municipality` as the API
/// names them (a bad value names that field).
async fn asked_calendar(
    tx: &mut Tx,
    state: Option<String>,
    municipality_ibge: Option<u32>,
) -> AppResult<Calendar> {
    if let Some(code) = municipality_ibge {
        municipality_state("municipality", code)?;
    }
    match state {
        Some(state) => place_calendar(tx, Some(state), municipality_ibge, "municipality").await,
        None => calendar_for(tx, municipality_ibge).await,
    }
}

fn parse_opt_state(state: Option<&str>) -> AppResult<Option<String>> {
    Ok(state
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| calendar::parse_state("state", s))
        .transpose()?)
}

/// One holiday of a list: its date and name, and its id when it is kept as
/// data (so it can be removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedHoliday {
    pub date: NaiveDate,
    pub name: String,
    pub id: Option<HolidayId>,
}

/// The settings as a person changes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// A UF code; `None` or blank: national holidays only.
    pub state: Option<String>,
    pub carnival: bool,
    pub corpus_christi: bool,
}

/// A holiday to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayInput {
    /// `None`: a holiday of the whole network.
    pub municipality_ibge: Option<u32>,
    pub date: NaiveDate,
    pub name: String,
}

impl App {
    /// The holidays of `year` in a place (see the module doc for which
    /// state applies), sorted by date. A holiday kept as data on a date that
    /// already has one is listed once, under the first name (the law's).
    pub async fn holidays(
        &self,
        actor: &Actor,
        year: i32,
        state: Option<&str>,
        municipality_ibge: Option<u32>,
    ) -> AppResult<Vec<ListedHoliday>> {
        require_reader(actor)?;
        let year = calendar::check_year("year", i64::from(year))?;
        let state = parse_opt_state(state)?;
        let mut tx = self.store().read().await?;
        let cal = asked_calendar(&mut tx, state, municipality_ibge).await?;
        let stored = tx.holidays_for(municipality_ibge, Some(year)).await?;
        Ok(cal
            .holidays(year)
            .into_iter()
            .map(|h| {
                let id = stored.iter().find(|s| s.date == h.date && s.name == h.name).map(|s| s.id);
                ListedHoliday { date: h.date, name: h.name, id }
            })
            .collect())
    }

    /// When a deadline of `days` (`unit`) counted from `start` falls due in
    /// a place (Lei 9.784/1999, art. 66; see [`Calendar::due`]).
    pub async fn due_date(
        &self,
        actor: &Actor,
        start: NaiveDate,
        days: u32,
        unit: DayUnit,
        state: Option<&str>,
        municipality_ibge: Option<u32>,
    ) -> AppResult<NaiveDate> {
        require_reader(actor)?;
        let days = calendar::check_days("days", i64::from(days))?;
        calendar::check_year("start", i64::from(chrono::Datelike::year(&start)))?;
        let state = parse_opt_state(state)?;
        let mut tx = self.store().read().await?;
        let cal = asked_calendar(&mut tx, state, municipality_ibge).await?;
        Ok(cal.due(start, days, unit))
    }

    pub async fn calendar_settings(&self, actor: &Actor) -> AppResult<CalendarSettings> {
        require_reader(actor)?;
        let mut tx = self.store().read().await?;
        Ok(tx.calendar_settings().await?)
    }

    /// Changes the network's calendar settings (admin only, audited).
    pub async fn set_calendar_settings(
        &self,
        actor: &Actor,
        input: SettingsInput,
    ) -> AppResult<CalendarSettings> {
        require_settings_writer(actor)?;
        let state = parse_opt_state(input.state.as_deref())?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.calendar_settings().await?;
        let after = CalendarSettings {
            state,
            carnival: input.carnival,
            corpus_christi: input.corpus_christi,
            updated_at: now,
        };
        tx.set_calendar_settings(&after).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "calendar_settings",
            Some(1),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Keeps a holiday for a municipality or the whole network (admin and
    /// network manager, audited). One per date and place.
    pub async fn add_holiday(&self, actor: &Actor, input: HolidayInput) -> AppResult<HolidayRecord> {
        require_holiday_keeper(actor)?;
        let name = required("name", &input.name)?;
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(
                FieldError::new("name", Rule::OutOfRange { min: 1, max: MAX_NAME_CHARS as i64 }).into()
            );
        }
        calendar::check_year("date", i64::from(chrono::Datelike::year(&input.date)))?;
        if let Some(code) = input.municipality_ibge {
            municipality_state("municipality_ibge", code)?;
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        if tx.holiday_on(input.municipality_ibge, input.date).await?.is_some() {
            return Err(FieldError::new("date", Rule::Duplicate).into());
        }
        let new = NewHoliday { municipality_ibge: input.municipality_ibge, date: input.date, name };
        // The unique index settles a race with a concurrent insert the same way.
        let holiday = tx.insert_holiday(&new, now).await.map_err(|e| match e {
            redegov_store::StoreError::Conflict(_) => FieldError::new("date", Rule::Duplicate).into(),
            other => AppError::from(other),
        })?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "holiday",
            Some(holiday.id.0),
            None::<&()>,
            Some(&holiday),
        )
        .await?;
        tx.commit().await?;
        Ok(holiday)
    }

    /// Removes a holiday kept as data (admin and network manager, audited).
    pub async fn delete_holiday(&self, actor: &Actor, id: HolidayId) -> AppResult<()> {
        require_holiday_keeper(actor)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.holiday(id).await.map_err(AppError::not_found("holiday"))?;
        tx.delete_holiday(id).await.map_err(AppError::not_found("holiday"))?;
        record(&mut tx, actor, now, Action::Delete, "holiday", Some(id.0), Some(&before), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
