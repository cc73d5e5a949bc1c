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

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A holiday: its date and its name in pt-BR.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// How a deadline is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayUnit {
    Calendar,
    Business,
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

impl Calendar {
    /// A calendar with only national holidays.
    pub fn national() -> Calendar {
        Calendar::default()
    }

    /// National and state holidays of `state`.
    pub fn for_state(state: &str) -> Calendar {
        Calendar { state: Some(state.to_ascii_uppercase()), ..Calendar::default() }
    }

    /// Every holiday of `year`, sorted by date (one entry per date; when two
    /// coincide, the national name is kept).
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let easter = easter(year);
        let mut out: Vec<(NaiveDate, &str)> = vec![
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
        if year >= 2024 {
            out.push((day(year, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"));
        }
        if self.carnival {
            out.push((shift(easter, -48), "Carnaval (segunda-feira)"));
            out.push((shift(easter, -47), "Carnaval (terça-feira)"));
        }
        if self.corpus_christi {
            out.push((shift(easter, 60), "Corpus Christi"));
        }
        match self.state.as_deref() {
            // MG's data magna (21 April) is Tiradentes, already national.
            Some("SP") if year >= 1997 => out.push((day(year, 7, 9), "Revolução Constitucionalista de 1932")),
            _ => {}
        }
        let mut holidays: Vec<Holiday> =
            out.into_iter().map(|(date, name)| Holiday { date, name: name.to_string() }).collect();
        holidays.extend(self.extra.iter().filter(|h| h.date.year() == year).cloned());
        holidays.sort_by_key(|h| h.date);
        holidays.dedup_by_key(|h| h.date);
        holidays
    }

    /// Whether `date` is a holiday of this calendar.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays(date.year()).iter().any(|h| h.date == date)
    }

    /// Whether `date` is a business day: Monday to Friday, not a holiday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// The first business day on or after `date`.
    pub fn next_business_day(&self, date: NaiveDate) -> NaiveDate {
        self.business_days_from(date).next().unwrap_or(date)
    }

    fn business_days_from(&self, date: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        date.iter_days().filter(|d| self.is_business_day(*d))
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
            DayUnit::Business => {
                let after = start.succ_opt().unwrap_or(start);
                self.business_days_from(after).nth(days as usize - 1).unwrap_or(start)
            }
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
}
