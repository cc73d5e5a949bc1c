//! Brazilian calendars and deadline counting (DOMAIN §4, §7): national
//! holidays, the movable ones computed from Easter, state holidays (MG, SP)
//! and municipal holidays as data, business days, and due dates counted as
//! the federal administrative procedure law says (Lei 9.784/1999, art. 66):
//! the start day is excluded and the last day included; a business-day
//! deadline ends on the Nth business day after the start; a calendar-day
//! deadline that ends on a non-business day moves to the next business day.
//!
//! Carnival (Monday and Tuesday) and Corpus Christi are *pontos
//! facultativos* in federal law but holidays in many contracts, so they are
//! settings of a [`Calendar`], off by default.
//!
//! A [`Calendar`] answers one question at a time without allocating (Easter
//! is a few integer operations). For many dates at once — every open
//! service order, a report — [`Calendar::compile`] precomputes a
//! [`CompiledCalendar`]: one bitmap of holidays and one of business days per
//! year, so a day is one bit test and a deadline of N business days is a few
//! popcounts. Both give the same answers (a property test holds them to it);
//! outside its years a compiled calendar falls back to the plain one.
//!
//! This module is not where holidays are stored or which calendar applies
//! to a place is decided: the store keeps municipal holidays and the
//! calendar settings, the app builds the [`Calendar`] of a municipality.

use crate::error::{FieldError, Rule, Valid};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// A holiday: its date and its name in pt-BR.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// A holiday kept as data (a municipality's, or one for the whole network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HolidayId(pub i64);

impl std::fmt::Display for HolidayId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How a deadline is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    Calendar,
    Business,
}

impl DayUnit {
    pub const ALL: [DayUnit; 2] = [DayUnit::Calendar, DayUnit::Business];
    const CODES: &'static [&'static str] = &["calendar", "business"];

    /// The stable code (`calendar`, `business`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DayUnit::Calendar => "calendar",
            DayUnit::Business => "business",
        }
    }

    /// Parses a code; anything else names `field` and the accepted values.
    pub fn parse(field: &str, input: &str) -> Valid<DayUnit> {
        DayUnit::ALL
            .into_iter()
            .find(|u| u.as_str() == input.trim())
            .ok_or_else(|| FieldError::new(field, Rule::OneOf(Self::CODES)))
    }
}

/// The 27 federative units (26 states and the Federal District), by code.
pub const STATES: &[&str] = &[
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB", "PE", "PI",
    "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
];

/// Parses a state code (`mg`, ` MG `) into its canonical form (`MG`).
/// State holidays are known for MG and SP; the other 25 codes are accepted
/// and have the national holidays (plus whatever is kept as data).
pub fn parse_state(field: &str, input: &str) -> Valid<String> {
    let code = input.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    if STATES.contains(&code.as_str()) { Ok(code) } else { Err(FieldError::new(field, Rule::OneOf(STATES))) }
}

/// The years a calendar is asked about through the API and the portal.
pub const YEARS: RangeInclusive<i32> = 1900..=2200;

/// The longest deadline accepted, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// Checks a year against [`YEARS`].
pub fn check_year(field: &str, year: i64) -> Valid<i32> {
    i32::try_from(year).ok().filter(|y| YEARS.contains(y)).ok_or_else(|| {
        FieldError::new(
            field,
            Rule::OutOfRange { min: i64::from(*YEARS.start()), max: i64::from(*YEARS.end()) },
        )
    })
}

/// Checks a number of days against `0..=`[`MAX_DAYS`].
pub fn check_days(field: &str, days: i64) -> Valid<u32> {
    u32::try_from(days)
        .ok()
        .filter(|d| *d <= MAX_DAYS)
        .ok_or_else(|| FieldError::new(field, Rule::OutOfRange { min: 0, max: i64::from(MAX_DAYS) }))
}

/// The days without business for one place: national holidays, the
/// state's, the municipality's, and the contract's optional ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Two-letter state code (`MG`, `SP`); state holidays are known for MG
    /// and SP, other states have only the national ones.
    pub state: Option<String>,
    /// Carnival Monday and Tuesday are holidays.
    pub carnival: bool,
    /// Corpus Christi is a holiday.
    pub corpus_christi: bool,
    /// Municipal (or any other) holidays, kept as data.
    pub extra: Vec<Holiday>,
}

/// Easter Sunday of `year` (Gregorian calendar; the anonymous algorithm of
/// Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The algorithm only yields dates in March and April.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    // Fixed holidays are valid dates in every year.
    NaiveDate::from_ymd_opt(year, month, d).unwrap_or(NaiveDate::MIN)
}

fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(chrono::Duration::days(days)).unwrap_or(date)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// A calendar with only national holidays.
    pub fn national() -> Calendar {
        Calendar::default()
    }

    /// National and state holidays of `state`.
    pub fn for_state(state: &str) -> Calendar {
        Calendar { state: Some(state.to_ascii_uppercase()), ..Calendar::default() }
    }

    /// The holidays this calendar computes for `year` (not the ones kept as
    /// data), national ones first. The one source of both
    /// [`Calendar::holidays`] and [`Calendar::is_holiday`]; allocates nothing.
    fn computed(&self, year: i32) -> impl Iterator<Item = (NaiveDate, &'static str)> + use<> {
        let easter = easter(year);
        let national = [
            (day(year, 1, 1), "Confraternização Universal"),
            (shift(easter, -2), "Sexta-feira Santa"),
            (day(year, 4, 21), "Tiradentes"),
            (day(year, 5, 1), "Dia do Trabalho"),
            (day(year, 9, 7), "Independência do Brasil"),
            (day(year, 10, 12), "Nossa Senhora Aparecida"),
            (day(year, 11, 2), "Finados"),
            (day(year, 11, 15), "Proclamação da República"),
            (day(year, 12, 25), "Natal"),
        ];
        // Lei 14.759/2023: a national holiday from 2024 on.
        let black_awareness =
            (year >= 2024).then(|| (day(year, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"));
        let carnival = self
            .carnival
            .then(|| {
                [
                    (shift(easter, -48), "Carnaval (segunda-feira)"),
                    (shift(easter, -47), "Carnaval (terça-feira)"),
                ]
            })
            .into_iter()
            .flatten();
        let corpus_christi = self.corpus_christi.then(|| (shift(easter, 60), "Corpus Christi"));
        // MG's data magna (21 April) is Tiradentes, already national.
        let state = match self.state.as_deref().map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("SP") && year >= 1997 => {
                Some((day(year, 7, 9), "Revolução Constitucionalista de 1932"))
            }
            _ => None,
        };
        national.into_iter().chain(black_awareness).chain(carnival).chain(corpus_christi).chain(state)
    }

    /// Every holiday of `year`, sorted by date (one entry per date; when two
    /// coincide, the national name is kept).
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let mut holidays: Vec<Holiday> =
            self.computed(year).map(|(date, name)| Holiday { date, name: name.to_string() }).collect();
        holidays.extend(self.extra.iter().filter(|h| h.date.year() == year).cloned());
        holidays.sort_by_key(|h| h.date);
        holidays.dedup_by_key(|h| h.date);
        holidays
    }

    /// Whether `date` is a holiday of this calendar.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.computed(date.year()).any(|(d, _)| d == date) || self.extra.iter().any(|h| h.date == date)
    }

    /// Whether `date` is a business day: Monday to Friday, not a holiday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_holiday(date)
    }

    /// The first business day on or after `date`.
    pub fn next_business_day(&self, date: NaiveDate) -> NaiveDate {
        self.business_days_from(date).next().unwrap_or(date)
    }

    fn business_days_from(&self, date: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        date.iter_days().filter(|d| self.is_business_day(*d))
    }

    /// The `n`th business day after `date` (`n` ≥ 1); `date` itself when
    /// the dates run out.
    fn nth_business_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let after = date.succ_opt().unwrap_or(date);
        self.business_days_from(after).nth(n.saturating_sub(1) as usize).unwrap_or(date)
    }

    /// The due date of a deadline of `days` counted from `start` (Lei
    /// 9.784/1999, art. 66): the start day is excluded, the last day
    /// included; in business days, the Nth business day after the start; in
    /// calendar days, the Nth day, moved to the next business day when it
    /// is not one. Zero days is due on the start day (moved likewise).
    pub fn due(&self, start: NaiveDate, days: u32, unit: DayUnit) -> NaiveDate {
        match unit {
            DayUnit::Calendar => {
                self.next_business_day(start.checked_add_days(Days::new(u64::from(days))).unwrap_or(start))
            }
            DayUnit::Business if days == 0 => self.next_business_day(start),
            DayUnit::Business => self.nth_business_day_after(start, days),
        }
    }

    /// Business days in `(from, to]`: how late something delivered on `to`
    /// was, when it was due on `from`. Zero when `to` is not after `from`.
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().unwrap_or(to);
            if self.is_business_day(d) {
                n += 1;
            }
        }
        n
    }

    /// Precomputes this calendar for `years` (see [`CompiledCalendar`]).
    /// Costs about 100 bytes and a few microseconds per year.
    pub fn compile(&self, years: RangeInclusive<i32>) -> CompiledCalendar {
        let first_year = *years.start();
        let years = years.map(|year| self.year_bits(year)).collect();
        CompiledCalendar { calendar: self.clone(), first_year, years }
    }

    fn year_bits(&self, year: i32) -> YearBits {
        let mut bits = YearBits::default();
        for h in self.holidays(year) {
            set_bit(&mut bits.holiday, h.date.ordinal0());
        }
        let Some(first) = NaiveDate::from_yo_opt(year, 1) else { return bits };
        for date in first.iter_days().take_while(|d| d.year() == year) {
            let n = date.ordinal0();
            if !is_weekend(date) && !test_bit(&bits.holiday, n) {
                set_bit(&mut bits.business, n);
            }
        }
        bits
    }
}

/// Words of a year's bitmap: 6 × 64 = 384 bits ≥ 366 days.
const WORDS: usize = 6;

/// One year of a [`CompiledCalendar`]; bit `n` is the day whose 0-based
/// ordinal is `n`. Bits past the year's last day are always clear.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct YearBits {
    holiday: [u64; WORDS],
    business: [u64; WORDS],
}

fn set_bit(words: &mut [u64; WORDS], n: u32) {
    words[(n / 64) as usize] |= 1 << (n % 64);
}

fn test_bit(words: &[u64; WORDS], n: u32) -> bool {
    words[(n / 64) as usize] & (1 << (n % 64)) != 0
}

/// Set bits of `words` from bit `lo` to bit `hi`, both included.
fn count_bits(words: &[u64; WORDS], lo: u32, hi: u32) -> u32 {
    let (first, last) = ((lo / 64) as usize, (hi / 64) as usize);
    (first..=last.min(WORDS - 1))
        .map(|w| {
            let mut word = words[w];
            if w == first {
                word &= !0 << (lo % 64);
            }
            if w == last {
                word &= !0 >> (63 - hi % 64);
            }
            word.count_ones()
        })
        .sum()
}

/// The position of the `k`th (0-based) set bit of `word`, which has more
/// than `k` set bits.
fn select(mut word: u64, k: u32) -> u32 {
    for _ in 0..k {
        word &= word - 1;
    }
    word.trailing_zeros()
}

fn last_day_of(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31)
}

/// A [`Calendar`] precomputed for a range of years: a holiday bitmap and a
/// business-day bitmap per year. Immutable (it owns a copy of the calendar
/// it was compiled from), so it can be shared between threads and never
/// goes stale. Dates outside its years are answered by the plain calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledCalendar {
    calendar: Calendar,
    first_year: i32,
    years: Vec<YearBits>,
}

impl CompiledCalendar {
    /// The calendar this was compiled from.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The years answered from the bitmaps.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first_year..=self.first_year + self.years.len() as i32 - 1
    }

    fn bits(&self, year: i32) -> Option<&YearBits> {
        let index = usize::try_from(year.checked_sub(self.first_year)?).ok()?;
        self.years.get(index)
    }

    /// Whether `date` is a holiday; see [`Calendar::is_holiday`].
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        match self.bits(date.year()) {
            Some(bits) => test_bit(&bits.holiday, date.ordinal0()),
            None => self.calendar.is_holiday(date),
        }
    }

    /// Whether `date` is a business day; see [`Calendar::is_business_day`].
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        match self.bits(date.year()) {
            Some(bits) => test_bit(&bits.business, date.ordinal0()),
            None => self.calendar.is_business_day(date),
        }
    }

    /// The first business day on or after `date`.
    pub fn next_business_day(&self, date: NaiveDate) -> NaiveDate {
        if self.is_business_day(date) { date } else { self.nth_business_day_after(date, 1) }
    }

    /// The `n`th business day after `date` (`n` ≥ 1): whole words of the
    /// bitmaps are skipped by their popcount.
    fn nth_business_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut remaining = n.max(1);
        let mut year = date.year();
        let mut from = date.ordinal0() + 1;
        while let Some(bits) = self.bits(year) {
            let mut mask = !0u64 << (from % 64);
            for w in (from / 64) as usize..WORDS {
                let word = bits.business[w] & mask;
                let count = word.count_ones();
                if count >= remaining {
                    let ordinal0 = w as u32 * 64 + select(word, remaining - 1);
                    // A set bit is always a day of the year.
                    return NaiveDate::from_yo_opt(year, ordinal0 + 1).unwrap_or(date);
                }
                remaining -= count;
                mask = !0;
            }
            year += 1;
            from = 0;
        }
        // Past the compiled years: the plain calendar goes on from the last
        // day counted here.
        let resume = if year == date.year() { Some(date) } else { last_day_of(year - 1) };
        self.calendar.nth_business_day_after(resume.unwrap_or(date), remaining)
    }

    /// The due date; see [`Calendar::due`].
    pub fn due(&self, start: NaiveDate, days: u32, unit: DayUnit) -> NaiveDate {
        match unit {
            DayUnit::Calendar => {
                self.next_business_day(start.checked_add_days(Days::new(u64::from(days))).unwrap_or(start))
            }
            DayUnit::Business if days == 0 => self.next_business_day(start),
            DayUnit::Business => self.nth_business_day_after(start, days),
        }
    }

    /// Business days in `(from, to]`; see [`Calendar::business_days_between`].
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let Some(first) = from.succ_opt().filter(|_| to > from) else { return 0 };
        let mut n = 0;
        for year in first.year()..=to.year() {
            let lo = if year == first.year() { Some(first) } else { NaiveDate::from_yo_opt(year, 1) };
            let hi = if year == to.year() { Some(to) } else { last_day_of(year) };
            let (Some(lo), Some(hi)) = (lo, hi) else { continue };
            n += match self.bits(year) {
                Some(bits) => count_bits(&bits.business, lo.ordinal0(), hi.ordinal0()),
                None => match lo.pred_opt() {
                    Some(before) => self.calendar.business_days_between(before, hi),
                    None => {
                        u32::from(self.calendar.is_business_day(lo))
                            + self.calendar.business_days_between(lo, hi)
                    }
                },
            };
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn easter_matches_known_dates() {
        for (year, date) in [
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2049, "2049-04-18"),
        ] {
            assert_eq!(easter(year), d(date), "{year}");
        }
    }

    #[test]
    fn holidays_of_2026_in_sao_paulo_with_the_optional_ones() {
        let cal = Calendar { carnival: true, corpus_christi: true, ..Calendar::for_state("sp") };
        let dates: Vec<String> = cal.holidays(2026).iter().map(|h| h.date.to_string()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-01",
                "2026-02-16",
                "2026-02-17",
                "2026-04-03",
                "2026-04-21",
                "2026-05-01",
                "2026-06-04",
                "2026-07-09",
                "2026-09-07",
                "2026-10-12",
                "2026-11-02",
                "2026-11-15",
                "2026-11-20",
                "2026-12-25",
            ]
        );
        let national = Calendar::national().holidays(2023);
        assert_eq!(national.len(), 9, "no Consciência Negra before 2024");
        assert!(!Calendar::for_state("MG").holidays(2026).iter().any(|h| h.date == d("2026-07-09")));
    }

    #[test]
    fn municipal_holidays_are_data() {
        let cal = Calendar {
            extra: vec![Holiday {
                date: d("2026-12-08"),
                name: "Imaculada Conceição (Belo Horizonte)".into(),
            }],
            ..Calendar::for_state("MG")
        };
        assert!(cal.is_holiday(d("2026-12-08")) && !cal.is_business_day(d("2026-12-08")));
        assert!(Calendar::for_state("MG").is_business_day(d("2026-12-08")), "a Tuesday elsewhere");
        assert_eq!(cal.due(d("2026-12-07"), 1, DayUnit::Business), d("2026-12-09"));
    }

    #[test]
    fn deadlines_follow_lei_9784_art_66() {
        let mg = Calendar::for_state("MG");
        // Wed 23/12/2026 + 10 business days: 24 (Thu), 28, 29, 30, 31 Dec,
        // 4, 5, 6, 7, 8 Jan (25/12 and 1/1 are holidays; weekends skipped).
        assert_eq!(mg.due(d("2026-12-23"), 10, DayUnit::Business), d("2027-01-08"));
        // Calendar days: 23/12 + 9 is Friday 1/1/2027, a holiday, then the weekend.
        assert_eq!(mg.due(d("2026-12-23"), 9, DayUnit::Calendar), d("2027-01-04"));
        // Ending on a business day stays.
        assert_eq!(mg.due(d("2026-03-02"), 45, DayUnit::Calendar), d("2026-04-16"));
        // Ending on Good Friday 2026 (3/4) moves to Monday 6/4.
        assert_eq!(mg.due(d("2026-03-24"), 10, DayUnit::Calendar), d("2026-04-06"));
        // Leap year: 28/02/2028 + 1 calendar day is 29/02 (a Tuesday).
        assert_eq!(mg.due(d("2028-02-28"), 1, DayUnit::Calendar), d("2028-02-29"));
        // A start on a non-business day: counting begins the next day all the same.
        assert_eq!(mg.due(d("2026-11-21"), 1, DayUnit::Business), d("2026-11-23"));
        assert_eq!(mg.due(d("2026-11-21"), 0, DayUnit::Business), d("2026-11-23"));
        // Carnival as a contract setting.
        let with_carnival = Calendar { carnival: true, ..mg.clone() };
        assert_eq!(mg.due(d("2026-02-13"), 1, DayUnit::Business), d("2026-02-16"));
        assert_eq!(with_carnival.due(d("2026-02-13"), 1, DayUnit::Business), d("2026-02-18"));
    }

    #[test]
    fn lateness_is_counted_in_business_days() {
        let mg = Calendar::for_state("MG");
        assert_eq!(mg.business_days_between(d("2026-12-23"), d("2026-12-23")), 0);
        assert_eq!(mg.business_days_between(d("2026-12-23"), d("2027-01-08")), 10);
        assert_eq!(mg.business_days_between(d("2027-01-08"), d("2026-12-23")), 0);
    }

    proptest! {
        #[test]
        fn a_due_date_is_a_business_day_after_the_start(
            offset in 0u64..20_000, days in 0u32..120, business in any::<bool>(), carnival in any::<bool>(),
        ) {
            let cal = Calendar { carnival, ..Calendar::for_state("SP") };
            let start = d("2000-01-01") + Days::new(offset);
            let unit = if business { DayUnit::Business } else { DayUnit::Calendar };
            let due = cal.due(start, days, unit);
            prop_assert!(cal.is_business_day(due));
            prop_assert!(due >= start);
            if business && days > 0 {
                prop_assert_eq!(cal.business_days_between(start, due), days);
            }
            if !business {
                prop_assert!(due >= start + Days::new(u64::from(days)));
            }
        }
    }

    #[test]
    fn day_units_have_codes_and_serde() {
        assert_eq!(DayUnit::parse("unit", " business "), Ok(DayUnit::Business));
        assert_eq!(DayUnit::parse("unit", "calendar"), Ok(DayUnit::Calendar));
        let err = DayUnit::parse("unit", "úteis").expect_err("not a code");
        assert_eq!((err.field.as_str(), err.rule), ("unit", Rule::OneOf(&["calendar", "business"])));
        assert_eq!(serde_json::to_string(&DayUnit::Business).expect("json"), "\"business\"");
        let unit: DayUnit = serde_json::from_str("\"calendar\"").expect("json");
        assert_eq!(unit, DayUnit::Calendar);
        assert!(serde_json::from_str::<DayUnit>("\"Business\"").is_err());
        for unit in DayUnit::ALL {
            assert_eq!(DayUnit::parse("unit", unit.as_str()), Ok(unit));
        }
    }

    #[test]
    fn states_years_and_days_are_checked() {
        assert_eq!(STATES.len(), 27);
        assert_eq!(parse_state("state", " mg "), Ok("MG".to_string()));
        assert_eq!(parse_state("state", "DF"), Ok("DF".to_string()));
        assert_eq!(parse_state("state", "XX").map_err(|e| e.rule), Err(Rule::OneOf(STATES)));
        assert_eq!(parse_state("state", " ").map_err(|e| e.rule), Err(Rule::Required));
        assert_eq!(check_year("year", 2027), Ok(2027));
        assert_eq!(
            check_year("year", 1899).map_err(|e| e.rule),
            Err(Rule::OutOfRange { min: 1900, max: 2200 })
        );
        assert!(check_year("year", 2201).is_err() && check_year("year", i64::MAX).is_err());
        assert_eq!(check_days("days", 3650), Ok(3650));
        assert!(check_days("days", 3651).is_err() && check_days("days", -1).is_err());
    }

    fn configurations() -> Vec<Calendar> {
        let bh = Holiday { date: d("2026-12-08"), name: "Imaculada Conceição".into() };
        vec![
            Calendar::national(),
            Calendar::for_state("MG"),
            Calendar { carnival: true, corpus_christi: true, ..Calendar::for_state("SP") },
            Calendar { carnival: true, extra: vec![bh], ..Calendar::for_state("MG") },
        ]
    }

    #[test]
    fn is_holiday_agrees_with_the_list_of_holidays_every_day() {
        for cal in configurations() {
            let compiled = cal.compile(1990..=2100);
            for year in 1990..=2100 {
                let listed: Vec<NaiveDate> = cal.holidays(year).iter().map(|h| h.date).collect();
                let mut date = day(year, 1, 1);
                while date.year() == year {
                    let holiday = listed.contains(&date);
                    assert_eq!(cal.is_holiday(date), holiday, "{date} {cal:?}");
                    assert_eq!(compiled.is_holiday(date), holiday, "{date} compiled");
                    let business = !holiday && !is_weekend(date);
                    assert_eq!(cal.is_business_day(date), business, "{date}");
                    assert_eq!(compiled.is_business_day(date), business, "{date} compiled");
                    date = date.succ_opt().expect("next day");
                }
            }
        }
    }

    #[test]
    fn compiled_deadlines_follow_lei_9784_art_66() {
        let mg = Calendar::for_state("MG").compile(2020..=2035);
        assert_eq!(mg.years(), 2020..=2035);
        assert_eq!(mg.due(d("2026-12-23"), 10, DayUnit::Business), d("2027-01-08"));
        assert_eq!(mg.due(d("2026-12-23"), 9, DayUnit::Calendar), d("2027-01-04"));
        assert_eq!(mg.due(d("2026-03-24"), 10, DayUnit::Calendar), d("2026-04-06"));
        assert_eq!(mg.due(d("2026-11-21"), 0, DayUnit::Business), d("2026-11-23"));
        assert_eq!(mg.business_days_between(d("2026-12-23"), d("2027-01-08")), 10);
        // Counting runs past the compiled years into the plain calendar.
        let plain = Calendar::for_state("MG");
        assert_eq!(
            mg.due(d("2035-12-20"), 30, DayUnit::Business),
            plain.due(d("2035-12-20"), 30, DayUnit::Business)
        );
        assert_eq!(
            mg.due(d("2019-12-01"), 300, DayUnit::Business),
            plain.due(d("2019-12-01"), 300, DayUnit::Business)
        );
        // An empty range compiles nothing and answers everything the plain way.
        let (first, last) = (2030, 2029);
        let none = Calendar::national().compile(first..=last);
        assert!(none.years().is_empty());
        assert_eq!(none.due(d("2030-12-23"), 10, DayUnit::Business), d("2031-01-08"));
    }

    #[test]
    fn bit_helpers_count_and_select() {
        let mut words = [0u64; WORDS];
        for n in [0, 5, 63, 64, 200, 365] {
            set_bit(&mut words, n);
        }
        assert_eq!(count_bits(&words, 0, 365), 6);
        assert_eq!(count_bits(&words, 1, 364), 4);
        assert_eq!(count_bits(&words, 63, 64), 2);
        assert_eq!(count_bits(&words, 5, 5), 1);
        assert_eq!(count_bits(&words, 6, 62), 0);
        assert_eq!(select(0b1011_0000, 0), 4);
        assert_eq!(select(0b1011_0000, 2), 7);
        assert_eq!(select(1 << 63, 0), 63);
    }

    proptest! {
        #[test]
        fn a_compiled_calendar_answers_like_the_plain_one(
            config in 0usize..4, offset in 0u64..25_000, days in 0u32..800, other in 0u64..1_000,
            business in any::<bool>(),
        ) {
            let cal = configurations().swap_remove(config);
            // Compiled for 2000–2040 only, so starts before and counts past
            // the range exercise the fallback.
            let compiled = cal.compile(2000..=2040);
            let start = d("1990-01-01") + Days::new(offset);
            let unit = if business { DayUnit::Business } else { DayUnit::Calendar };
            prop_assert_eq!(compiled.due(start, days, unit), cal.due(start, days, unit));
            prop_assert_eq!(compiled.next_business_day(start), cal.next_business_day(start));
            prop_assert_eq!(compiled.is_holiday(start), cal.is_holiday(start));
            let to = start + Days::new(other);
            prop_assert_eq!(compiled.business_days_between(start, to), cal.business_days_between(start, to));
            prop_assert_eq!(compiled.business_days_between(to, start), 0);
        }
    }
}
