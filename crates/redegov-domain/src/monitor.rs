//! The outage detector (DOMAIN §5) as a pure state machine: probe results go
//! in, confirmed link and access outages come out.
//!
//! The rules, in plain words:
//!
//! - A probe target (a link) starts *unknown*. It is *down* after
//!   `down_after` failed probes in a row, and the outage starts at the first
//!   failed probe of that streak, not at the one that confirmed it. It is *up*
//!   after `up_after` answered probes in a row, and the outage ends at the
//!   first answered probe of that streak: the link answered then.
//! - One lost probe, or a link that alternates (fail, fail, answer, ...),
//!   never confirms anything: a streak broken by the other result starts over.
//! - A redundant access (two links) is down only while all of its links are
//!   down. Its outage starts when the last link went down (the latest of the
//!   link outage starts) and ends when the first link comes back. Link
//!   outages are reported all the same.
//! - A round in which at least `gap_share_percent` % of at least
//!   `gap_min_targets` probed targets failed is a *monitoring gap*: the
//!   prober's own network was down, not the accesses. A gap round confirms
//!   nothing and breaks every streak, but an outage already confirmed goes on.
//!   Gap time is counted as unknown in availability charts, never as down.
//!
//! This module does not probe, store, notify or read the clock: every instant
//! is a parameter, and the caller persists each state with [`LinkDetector::since`]
//! and restores it after a restart. It is not the billing measurement either
//! ([`crate::measure`]): a detected outage becomes downtime only through an
//! incident whose responsibility is the operator's.

use crate::error::{FieldError, Rule, Valid};
use crate::inventory::code_enum;
use crate::measure::{Span, subtract, total, union};
use crate::money::div_round;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How the built-in prober runs and when its results become outages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorSettings {
    /// Time between two probes of the same target.
    pub interval_ms: u32,
    /// How long one probe waits for an answer.
    pub timeout_ms: u32,
    /// Extra attempts of a failed probe within the same round.
    pub retries: u32,
    /// Consecutive failed probes that confirm an outage.
    pub down_after: u32,
    /// Consecutive answered probes that confirm a recovery.
    pub up_after: u32,
    /// The share of failed targets (percent) that makes a round a gap...
    pub gap_share_percent: u32,
    /// ...when at least this many targets were probed in it.
    pub gap_min_targets: u32,
    /// How long hourly probe statistics are kept.
    pub hourly_stats_retention_days: u32,
    /// How long daily probe statistics are kept.
    pub daily_stats_retention_days: u32,
    /// How long detected link outages are kept.
    pub link_outage_retention_days: u32,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            interval_ms: 60_000,
            timeout_ms: 2_000,
            retries: 0,
            down_after: 3,
            up_after: 2,
            gap_share_percent: 80,
            gap_min_targets: 10,
            hourly_stats_retention_days: 2,
            daily_stats_retention_days: 400,
            link_outage_retention_days: 800,
        }
    }
}

/// The longest probe interval accepted: one hour.
pub const MAX_INTERVAL_MS: u32 = 3_600_000;
/// The longest retention accepted: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3_650;

impl MonitorSettings {
    /// Checks every setting, naming the first field that is out of range.
    pub fn validate(&self) -> Valid<()> {
        fn within(field: &str, value: u32, min: u32, max: u32) -> Valid<()> {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(FieldError::new(field, Rule::OutOfRange { min: i64::from(min), max: i64::from(max) }))
            }
        }
        within("interval_ms", self.interval_ms, 100, MAX_INTERVAL_MS)?;
        within("retries", self.retries, 0, 5)?;
        // A round (the probe and its retries) must end before the next one
        // starts, or rounds would overlap and streaks interleave.
        let longest_timeout = (self.interval_ms - 1) / (self.retries + 1);
        within("timeout_ms", self.timeout_ms, 1, longest_timeout)?;
        within("down_after", self.down_after, 1, 100)?;
        within("up_after", self.up_after, 1, 100)?;
        within("gap_share_percent", self.gap_share_percent, 1, 100)?;
        within("gap_min_targets", self.gap_min_targets, 1, 100_000)?;
        within("hourly_stats_retention_days", self.hourly_stats_retention_days, 1, 90)?;
        within("daily_stats_retention_days", self.daily_stats_retention_days, 1, MAX_RETENTION_DAYS)?;
        within("link_outage_retention_days", self.link_outage_retention_days, 1, MAX_RETENTION_DAYS)?;
        Ok(())
    }

    /// The probe interval as a duration.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::from(self.interval_ms))
    }

    /// The timeout of one probe attempt as a duration.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::from(self.timeout_ms))
    }
}

code_enum!(
    /// What the monitor knows of a link, or of an access.
    LinkState {
        Unknown = "unknown" / "Desconhecido",
        Up = "up" / "Operante",
        Down = "down" / "Inoperante",
    }
);

/// An access has the same three states as its links.
pub type AccessState = LinkState;

/// A state with the instant it began; `Unknown` has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Unknown,
    Up(Timestamp),
    Down(Timestamp),
}

impl Phase {
    fn new(state: LinkState, since: Timestamp) -> Phase {
        match state {
            LinkState::Unknown => Phase::Unknown,
            LinkState::Up => Phase::Up(since),
            LinkState::Down => Phase::Down(since),
        }
    }

    fn state(self) -> LinkState {
        match self {
            Phase::Unknown => LinkState::Unknown,
            Phase::Up(_) => LinkState::Up,
            Phase::Down(_) => LinkState::Down,
        }
    }

    fn since(self) -> Option<Timestamp> {
        match self {
            Phase::Unknown => None,
            Phase::Up(at) | Phase::Down(at) => Some(at),
        }
    }
}

/// A confirmed change of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// The link is down; its outage started at `since` (the first failed probe).
    Down { since: Timestamp },
    /// The link is up since `since` (the first answered probe of the streak).
    /// `outage` is the closed outage `[start, end)` when the link was down
    /// before, `None` on first contact.
    Up { since: Timestamp, outage: Option<(Timestamp, Timestamp)> },
}

/// A run of identical probe results: how many, and when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Streak {
    ok: bool,
    count: u32,
    first: Timestamp,
}

/// The detector of one probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDetector {
    phase: Phase,
    streak: Option<Streak>,
    /// The latest instant seen; older or repeated observations are ignored,
    /// so that every outage ends after it starts.
    last: Option<Timestamp>,
}

impl Default for LinkDetector {
    fn default() -> Self {
        LinkDetector::new()
    }
}

impl LinkDetector {
    /// A target never probed: unknown.
    pub fn new() -> LinkDetector {
        LinkDetector { phase: Phase::Unknown, streak: None, last: None }
    }

    /// A target whose state was stored before a restart, with no streak under
    /// way. `since` is the start of the ongoing outage (down) or of the
    /// recovery (up); it is ignored for `Unknown`. Observations at or before
    /// `since` are ignored.
    pub fn restore(state: LinkState, since: Timestamp) -> LinkDetector {
        let phase = Phase::new(state, since);
        LinkDetector { phase, streak: None, last: phase.since() }
    }

    pub fn state(&self) -> LinkState {
        self.phase.state()
    }

    /// When the current state began: the outage start while down, the
    /// recovery while up, `None` while unknown.
    pub fn since(&self) -> Option<Timestamp> {
        self.phase.since()
    }

    /// Feeds one probe result (`ok`: the target answered) taken at `at`.
    /// Returns the change it confirms, if any. A result not later than the
    /// previous one is stale (a replay, a clock step) and changes nothing.
    pub fn observe(&mut self, at: Timestamp, ok: bool, s: &MonitorSettings) -> Option<LinkEvent> {
        if self.last.is_some_and(|last| at <= last) {
            return None;
        }
        self.last = Some(at);
        let streak = match self.streak {
            Some(streak) if streak.ok == ok => Streak { count: streak.count.saturating_add(1), ..streak },
            _ => Streak { ok, count: 1, first: at },
        };
        self.streak = Some(streak);
        match (ok, self.phase) {
            (true, Phase::Up(_)) | (false, Phase::Down(_)) => None,
            (true, previous) if streak.count >= s.up_after => {
                self.phase = Phase::Up(streak.first);
                let outage = match previous {
                    Phase::Down(start) => Some((start, streak.first)),
                    _ => None,
                };
                Some(LinkEvent::Up { since: streak.first, outage })
            }
            (false, _) if streak.count >= s.down_after => {
                self.phase = Phase::Down(streak.first);
                Some(LinkEvent::Down { since: streak.first })
            }
            _ => None,
        }
    }

    /// A gap round (see [`round_is_gap`]): the result says nothing about this
    /// target, so any streak starts over; the state, and an ongoing outage,
    /// are kept.
    pub fn observe_gap(&mut self) {
        self.streak = None;
    }
}

/// A confirmed change of a whole access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessEvent {
    /// All links are down; the access outage started at `since`, when the
    /// last of them went down.
    Down { since: Timestamp },
    /// A link is back since `since`. `outage` is the closed access outage
    /// `[start, end)` when the access was down before, `None` on first contact.
    Up { since: Timestamp, outage: Option<(Timestamp, Timestamp)> },
}

/// What one probe result confirmed, for its link and for its access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observed {
    pub link: Option<LinkEvent>,
    pub access: Option<AccessEvent>,
}

/// The detector of one access over its links (one, or two when redundant).
///
/// The access is up as soon as any link is up and down only while all of them
/// are down. Otherwise (some link still unknown, none up) it keeps its last
/// state, so that its events alternate strictly: first contact, then down, up,
/// down...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDetector {
    phase: Phase,
    links: Vec<LinkDetector>,
}

impl AccessDetector {
    /// An access with `links` never-probed links (at least one).
    pub fn new(links: usize) -> AccessDetector {
        AccessDetector { phase: Phase::Unknown, links: vec![LinkDetector::new(); links.max(1)] }
    }

    /// An access whose state was stored before a restart: its own state and
    /// `since` (ignored for `Unknown`), and its links as restored with
    /// [`LinkDetector::restore`]. An empty `links` means one unknown link.
    pub fn restore(state: AccessState, since: Timestamp, links: Vec<LinkDetector>) -> AccessDetector {
        let links = if links.is_empty() { vec![LinkDetector::new()] } else { links };
        AccessDetector { phase: Phase::new(state, since), links }
    }

    pub fn state(&self) -> AccessState {
        self.phase.state()
    }

    /// When the current state began: the access outage start while down, the
    /// recovery while up, `None` while unknown.
    pub fn since(&self) -> Option<Timestamp> {
        self.phase.since()
    }

    pub fn links(&self) -> &[LinkDetector] {
        &self.links
    }

    /// Feeds one probe result of link number `link` (0-based, in the order
    /// of the access's probe targets). A link number the access does not have
    /// changes nothing.
    pub fn observe(&mut self, link: usize, at: Timestamp, ok: bool, s: &MonitorSettings) -> Observed {
        let Some(detector) = self.links.get_mut(link) else {
            return Observed::default();
        };
        let link = detector.observe(at, ok, s);
        let access = link.and_then(|event| self.follow(event));
        Observed { link, access }
    }

    /// A gap round for every link of the access.
    pub fn observe_gap(&mut self) {
        self.links.iter_mut().for_each(LinkDetector::observe_gap);
    }

    /// The access change, if any, after one of its links changed with `event`.
    fn follow(&mut self, event: LinkEvent) -> Option<AccessEvent> {
        match event {
            LinkEvent::Up { since, .. } => {
                let outage = match self.phase {
                    Phase::Up(_) => return None,
                    // Links are probed at different instants, so the link that
                    // comes back may have answered before the other one went
                    // down: then the access outage (the overlap of the link
                    // outages) is empty, and is reported as such.
                    Phase::Down(start) => Some((start, since.max(start))),
                    Phase::Unknown => None,
                };
                let since = outage.map_or(since, |(_, end)| end);
                self.phase = Phase::Up(since);
                Some(AccessEvent::Up { since, outage })
            }
            LinkEvent::Down { .. } => {
                if matches!(self.phase, Phase::Down(_)) {
                    return None;
                }
                // The access is down when every link is; its outage starts
                // when the last one went down.
                let mut latest: Option<Timestamp> = None;
                for link in &self.links {
                    match link.phase {
                        Phase::Down(start) => latest = latest.max(Some(start)),
                        Phase::Up(_) | Phase::Unknown => return None,
                    }
                }
                let since = latest?;
                self.phase = Phase::Down(since);
                Some(AccessEvent::Down { since })
            }
        }
    }
}

/// Whether a round with `probed` targets, `failed` of which did not answer,
/// is a monitoring gap: at least `gap_min_targets` probed and at least
/// `gap_share_percent` % of them failed.
pub fn round_is_gap(probed: usize, failed: usize, s: &MonitorSettings) -> bool {
    let (probed, failed) = (probed as u128, failed.min(probed) as u128);
    probed > 0
        && probed >= u128::from(s.gap_min_targets)
        && failed * 100 >= u128::from(s.gap_share_percent) * probed
}

/// A change of the prober's own connectivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapEvent {
    /// A gap began at the start of its first gap round.
    Started { at: Timestamp },
    /// The gap `[start, end)` ended at the start of the first normal round.
    Ended { span: (Timestamp, Timestamp) },
}

/// Turns the sequence of rounds into monitoring gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GapTracker {
    open: Option<Timestamp>,
}

impl GapTracker {
    /// No gap under way.
    pub fn new() -> GapTracker {
        GapTracker::default()
    }

    /// A tracker after a restart, with the start of the gap still open, if any.
    pub fn restore(open_since: Option<Timestamp>) -> GapTracker {
        GapTracker { open: open_since }
    }

    /// The start of the gap under way, if any.
    pub fn open_since(&self) -> Option<Timestamp> {
        self.open
    }

    /// Feeds one round that started at `start`. A normal round not later than
    /// the start of the open gap is stale and ends nothing.
    pub fn round(&mut self, start: Timestamp, is_gap: bool) -> Option<GapEvent> {
        match (self.open, is_gap) {
            (None, true) => {
                self.open = Some(start);
                Some(GapEvent::Started { at: start })
            }
            (Some(gap_start), false) if start > gap_start => {
                self.open = None;
                Some(GapEvent::Ended { span: (gap_start, start) })
            }
            _ => None,
        }
    }
}

/// How many accesses (or links) are in each state: the NOC panel's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub up: usize,
    pub down: usize,
    pub unknown: usize,
}

impl Counts {
    pub fn of(states: impl IntoIterator<Item = LinkState>) -> Counts {
        states.into_iter().collect()
    }

    pub fn add(&mut self, state: LinkState) {
        match state {
            LinkState::Up => self.up += 1,
            LinkState::Down => self.down += 1,
            LinkState::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.up + self.down + self.unknown
    }
}

impl FromIterator<LinkState> for Counts {
    fn from_iter<I: IntoIterator<Item = LinkState>>(iter: I) -> Counts {
        let mut counts = Counts::default();
        iter.into_iter().for_each(|state| counts.add(state));
        counts
    }
}

/// How a period splits into up, down and unknown time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Availability {
    pub up_seconds: i64,
    pub down_seconds: i64,
    pub unknown_seconds: i64,
}

impl Availability {
    /// Up time per thousand of the known (up + down) time, rounded once;
    /// `None` when nothing is known.
    pub fn permille(&self) -> Option<i64> {
        self.ratio(1_000)
    }

    /// The same in units of 0.0001 % (1,000,000 = 100 %), for
    /// [`crate::measure::percent_text`].
    pub fn micro(&self) -> Option<i64> {
        self.ratio(1_000_000)
    }

    fn ratio(&self, scale: i128) -> Option<i64> {
        let known = i128::from(self.up_seconds) + i128::from(self.down_seconds);
        // Up is part of known, so the quotient lies in 0..=scale and fits.
        (known > 0).then(|| div_round(i128::from(self.up_seconds) * scale, known) as i64)
    }
}

/// Splits `period` (`[start, end)`) into up, down and unknown seconds, given
/// the outages of a link or an access and the monitoring gaps. Outages and
/// gaps are clipped to the period and overlapping ones count once; time inside
/// a gap is unknown even when an outage covers it, since nobody could tell.
/// Sub-second parts of the instants are dropped.
pub fn availability_permille(
    period: (Timestamp, Timestamp),
    outages: &[(Timestamp, Timestamp)],
    gaps: &[(Timestamp, Timestamp)],
) -> Availability {
    let period = span(period);
    let clipped = |spans: &[(Timestamp, Timestamp)]| {
        union(&spans.iter().filter_map(|&s| span(s).clip(period)).collect::<Vec<_>>())
    };
    let gaps = clipped(gaps);
    let down = subtract(&clipped(outages), &gaps);
    let (unknown_seconds, down_seconds) = (total(&gaps), total(&down));
    Availability {
        up_seconds: period.seconds() - down_seconds - unknown_seconds,
        down_seconds,
        unknown_seconds,
    }
}

fn span((start, end): (Timestamp, Timestamp)) -> Span {
    Span::new(start.timestamp(), end.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};
    use proptest::prelude::*;

    fn t(seconds: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 10, 5, 12, 0, 0).unwrap() + TimeDelta::seconds(seconds)
    }

    /// One step of a table: a probe result, or a gap round.
    #[derive(Debug, Clone, Copy)]
    enum P {
        /// Answered.
        S,
        /// Failed.
        F,
        /// A gap round (no result for the target).
        G,
    }
    use P::*;

    type Steps = Vec<(i64, P)>;
    type LinkLog = Vec<(i64, LinkEvent)>;
    type AccessLinkLog = Vec<(i64, usize, LinkEvent)>;
    type AccessLog = Vec<(i64, AccessEvent)>;
    type Spans = Vec<(Timestamp, Timestamp)>;
    type Rounds = Vec<(i64, bool)>;
    type GapLog = Vec<(i64, GapEvent)>;

    fn down(since: i64) -> LinkEvent {
        LinkEvent::Down { since: t(since) }
    }

    fn up(since: i64) -> LinkEvent {
        LinkEvent::Up { since: t(since), outage: None }
    }

    fn back(start: i64, end: i64) -> LinkEvent {
        LinkEvent::Up { since: t(end), outage: Some((t(start), t(end))) }
    }

    fn settings(down_after: u32, up_after: u32) -> MonitorSettings {
        MonitorSettings { down_after, up_after, ..MonitorSettings::default() }
    }

    /// Runs `steps` through `detector`; returns (offset, event) of every event.
    fn run_link(mut detector: LinkDetector, steps: &[(i64, P)], s: &MonitorSettings) -> LinkLog {
        let mut events = Vec::new();
        for &(offset, p) in steps {
            let event = match p {
                S => detector.observe(t(offset), true, s),
                F => detector.observe(t(offset), false, s),
                G => {
                    detector.observe_gap();
                    None
                }
            };
            events.extend(event.map(|e| (offset, e)));
        }
        events
    }

    /// Steps every 60 s from offset 0.
    fn every_minute(ps: &[P]) -> Steps {
        ps.iter().enumerate().map(|(i, &p)| (60 * i as i64, p)).collect()
    }

    #[test]
    fn link_table() {
        let default = MonitorSettings::default();
        let fresh = LinkDetector::new;
        let cases: Vec<(&str, LinkDetector, MonitorSettings, Steps, LinkLog)> = vec![
            ("first contact up", fresh(), default.clone(), every_minute(&[S, S]), vec![(60, up(0))]),
            ("one answer is not enough", fresh(), default.clone(), every_minute(&[S]), vec![]),
            ("first contact down", fresh(), default.clone(), every_minute(&[F, F, F]), vec![(120, down(0))]),
            (
                "unknown: a failure resets the success streak",
                fresh(),
                default.clone(),
                every_minute(&[S, F, S, S]),
                vec![(180, up(120))],
            ),
            (
                "single lost probe while up",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, S, S, F, S]),
                vec![(60, up(0))],
            ),
            (
                "two lost then success",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, S, F, F, S]),
                vec![(60, up(0))],
            ),
            (
                "exactly down_after failures; the outage starts at the first",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, F]),
                vec![(60, up(0)), (240, down(120))],
            ),
            (
                "more failures change nothing",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, F, F, F, F]),
                vec![(60, up(0)), (240, down(120))],
            ),
            (
                "recovery after up_after successes ends at the first",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, F, F, S, S, S]),
                vec![(60, up(0)), (240, down(120)), (420, back(120, 360))],
            ),
            (
                "flapping never goes down",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, S, F, F, S, F, F, S, F, F]),
                vec![(60, up(0))],
            ),
            (
                "flapping while down never comes up",
                fresh(),
                default.clone(),
                every_minute(&[F, F, F, S, F, S, F, S, F]),
                vec![(120, down(0))],
            ),
            (
                "flapping from the start stays unknown",
                fresh(),
                default.clone(),
                every_minute(&[F, F, S, F, F, S, F, F, S]),
                vec![],
            ),
            (
                "a gap round breaks a failure streak",
                fresh(),
                default.clone(),
                every_minute(&[S, S, F, F, G, F, F, S]),
                vec![(60, up(0))],
            ),
            (
                "a gap round keeps the outage open, the recovery starts over",
                fresh(),
                default.clone(),
                every_minute(&[F, F, F, S, G, G, S, S]),
                vec![(120, down(0)), (420, back(0, 360))],
            ),
            (
                "a gap round does not confirm a recovery",
                fresh(),
                default.clone(),
                every_minute(&[F, F, F, S, G, S]),
                vec![(120, down(0))],
            ),
            (
                "down_after = up_after = 1",
                fresh(),
                settings(1, 1),
                every_minute(&[S, F, S, S, F]),
                vec![(0, up(0)), (60, down(60)), (120, back(60, 120)), (240, down(240))],
            ),
            (
                "down_after = 5, up_after = 4",
                fresh(),
                settings(5, 4),
                every_minute(&[F, F, F, F, F, S, S, S, S]),
                vec![(240, down(0)), (480, back(0, 300))],
            ),
            (
                "irregular intervals: starts are the probes' own instants",
                fresh(),
                default.clone(),
                vec![(0, S), (7, S), (100, F), (101, F), (250, F), (3000, S), (3001, S)],
                vec![(7, up(0)), (250, down(100)), (3001, back(100, 3000))],
            ),
            (
                "stale and repeated observations are ignored",
                fresh(),
                default.clone(),
                vec![(60, S), (0, S), (60, S), (120, S)],
                vec![(120, up(60))],
            ),
            (
                "restored down: recovery closes the stored outage",
                LinkDetector::restore(LinkState::Down, t(-3600)),
                default.clone(),
                every_minute(&[F, S, S]),
                vec![(120, back(-3600, 60))],
            ),
            (
                "restored down: observations before the outage start are ignored",
                LinkDetector::restore(LinkState::Down, t(600)),
                default.clone(),
                vec![(0, S), (60, S), (660, S), (720, S)],
                vec![(720, back(600, 660))],
            ),
            (
                "restored up: counters start at zero",
                LinkDetector::restore(LinkState::Up, t(-3600)),
                default.clone(),
                every_minute(&[F, F, F]),
                vec![(120, down(0))],
            ),
            (
                "restored unknown is a fresh detector",
                LinkDetector::restore(LinkState::Unknown, t(-3600)),
                default.clone(),
                every_minute(&[S, S]),
                vec![(60, up(0))],
            ),
        ];
        for (name, detector, s, steps, expected) in cases {
            assert_eq!(run_link(detector, &steps, &s), expected, "{name}");
        }
    }

    #[test]
    fn link_state_and_since_follow_the_events() {
        let s = MonitorSettings::default();
        let mut d = LinkDetector::new();
        assert_eq!((d.state(), d.since()), (LinkState::Unknown, None));
        d.observe(t(0), false, &s);
        d.observe(t(60), false, &s);
        assert_eq!(d.state(), LinkState::Unknown, "not confirmed yet");
        d.observe(t(120), false, &s);
        assert_eq!((d.state(), d.since()), (LinkState::Down, Some(t(0))));
        d.observe(t(180), true, &s);
        d.observe(t(240), true, &s);
        assert_eq!((d.state(), d.since()), (LinkState::Up, Some(t(180))));
    }

    #[test]
    fn link_state_codes_and_labels() {
        assert_eq!(LinkState::CODES, &["unknown", "up", "down"]);
        let labels: Vec<_> = LinkState::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels, ["Desconhecido", "Operante", "Inoperante"]);
        assert_eq!(LinkState::parse("state", "down"), Ok(LinkState::Down));
        assert_eq!(serde_json::to_string(&LinkState::Up).unwrap(), "\"up\"");
    }

    /// One step of an access table: (offset, link, result).
    type Step = (i64, usize, P);
    type AccessSteps = Vec<Step>;

    fn adown(since: i64) -> AccessEvent {
        AccessEvent::Down { since: t(since) }
    }

    fn aup(since: i64) -> AccessEvent {
        AccessEvent::Up { since: t(since), outage: None }
    }

    fn aback(start: i64, end: i64) -> AccessEvent {
        AccessEvent::Up { since: t(end), outage: Some((t(start), t(end))) }
    }

    /// Runs `steps`; returns the link events (offset, link, event) and the
    /// access events (offset, event), checking the state after every step.
    fn run_access(
        mut detector: AccessDetector,
        steps: &[Step],
        s: &MonitorSettings,
    ) -> (AccessLinkLog, AccessLog) {
        let (mut links, mut accesses) = (Vec::new(), Vec::new());
        for &(offset, link, p) in steps {
            let observed = match p {
                S => detector.observe(link, t(offset), true, s),
                F => detector.observe(link, t(offset), false, s),
                G => {
                    detector.observe_gap();
                    Observed::default()
                }
            };
            links.extend(observed.link.map(|e| (offset, link, e)));
            accesses.extend(observed.access.map(|e| (offset, e)));
            check_access_state(&detector);
        }
        (links, accesses)
    }

    /// Up when a link is up, down when all are down, else unchanged.
    fn check_access_state(d: &AccessDetector) {
        let states: Vec<_> = d.links().iter().map(LinkDetector::state).collect();
        if states.contains(&LinkState::Up) {
            assert_eq!(d.state(), LinkState::Up, "{states:?}");
        } else if states.iter().all(|&s| s == LinkState::Down) {
            assert_eq!(d.state(), LinkState::Down, "{states:?}");
            let latest = d.links().iter().filter_map(LinkDetector::since).max();
            assert_eq!(d.since(), latest, "outage starts when the last link went down");
        }
    }

    /// `ps` on both links, link 1 probed one second after link 0.
    fn both(ps0: &[P], ps1: &[P]) -> Vec<Step> {
        let mut steps = Vec::new();
        for i in 0..ps0.len().max(ps1.len()) {
            let at = 60 * i as i64;
            steps.extend(ps0.get(i).map(|&p| (at, 0, p)));
            steps.extend(ps1.get(i).map(|&p| (at + 1, 1, p)));
        }
        steps
    }

    #[test]
    fn access_table() {
        let default = MonitorSettings::default();
        let cases: Vec<(&str, AccessDetector, MonitorSettings, AccessSteps, AccessLinkLog, AccessLog)> = vec![
            (
                "single link: the access follows its link",
                AccessDetector::new(1),
                default.clone(),
                every_minute(&[S, S, F, F, F, S, S]).into_iter().map(|(at, p)| (at, 0, p)).collect(),
                vec![(60, 0, up(0)), (240, 0, down(120)), (360, 0, back(120, 300))],
                vec![(60, aup(0)), (240, adown(120)), (360, aback(120, 300))],
            ),
            (
                "zero links means one",
                AccessDetector::new(0),
                default.clone(),
                vec![(0, 0, F), (60, 0, F), (120, 0, F)],
                vec![(120, 0, down(0))],
                vec![(120, adown(0))],
            ),
            (
                "redundant, first contact: the first link up brings the access up",
                AccessDetector::new(2),
                default.clone(),
                both(&[S, S], &[S, S]),
                vec![(60, 0, up(0)), (61, 1, up(1))],
                vec![(60, aup(0))],
            ),
            (
                "redundant, one link down: the link event only",
                AccessDetector::new(2),
                default.clone(),
                both(&[S, S, F, F, F, F], &[S, S, S, S, S, S]),
                vec![(60, 0, up(0)), (61, 1, up(1)), (240, 0, down(120))],
                vec![(60, aup(0))],
            ),
            (
                "redundant, both down: the access outage starts at the later link's start; \
                 the first link back ends it",
                AccessDetector::new(2),
                default.clone(),
                both(&[S, S, F, F, F, F, F, F, S, S], &[S, S, S, S, F, F, F, F, F, F]),
                vec![
                    (60, 0, up(0)),
                    (61, 1, up(1)),
                    (240, 0, down(120)),
                    (361, 1, down(241)),
                    (540, 0, back(120, 480)),
                ],
                vec![(60, aup(0)), (361, adown(241)), (540, aback(241, 480))],
            ),
            (
                "redundant, first contact with both links down",
                AccessDetector::new(2),
                default.clone(),
                both(&[F, F, F], &[F, F, F]),
                vec![(120, 0, down(0)), (121, 1, down(1))],
                vec![(121, adown(1))],
            ),
            (
                "redundant, one link unknown: the access stays unknown until it is known",
                AccessDetector::new(2),
                default.clone(),
                both(&[F, F, F, F, F], &[S, F, S, F, F, F]),
                vec![(120, 0, down(0)), (301, 1, down(181))],
                vec![(301, adown(181))],
            ),
            (
                "redundant, up then one link down and the other unknown: the access stays up",
                AccessDetector::new(2),
                default.clone(),
                both(&[S, S, F, F, F, F], &[S, F, S, F, S, F]),
                vec![(60, 0, up(0)), (240, 0, down(120))],
                vec![(60, aup(0))],
            ),
            (
                "redundant, a gap round keeps both outages and the access outage open",
                AccessDetector::new(2),
                default.clone(),
                vec![
                    (0, 0, F),
                    (1, 1, F),
                    (60, 0, F),
                    (61, 1, F),
                    (120, 0, F),
                    (121, 1, F),
                    (180, 0, S),
                    (181, 1, S),
                    (240, 0, G),
                    (300, 0, S),
                    (301, 1, S),
                    (360, 0, S),
                ],
                vec![(120, 0, down(0)), (121, 1, down(1)), (360, 0, back(0, 300))],
                vec![(121, adown(1)), (360, aback(1, 300))],
            ),
            (
                "redundant, the link back answered before the other went down: an empty outage",
                AccessDetector::new(2),
                settings(1, 3),
                vec![(0, 0, F), (10, 0, S), (20, 1, F), (30, 0, S), (40, 0, S)],
                vec![(0, 0, down(0)), (20, 1, down(20)), (40, 0, back(0, 10))],
                vec![(20, adown(20)), (40, aback(20, 20))],
            ),
            (
                "restored: access down with both links down, one link comes back",
                AccessDetector::restore(
                    LinkState::Down,
                    t(-600),
                    vec![
                        LinkDetector::restore(LinkState::Down, t(-900)),
                        LinkDetector::restore(LinkState::Down, t(-600)),
                    ],
                ),
                default.clone(),
                both(&[F, F, F], &[F, S, S]),
                vec![(121, 1, back(-600, 61))],
                vec![(121, aback(-600, 61))],
            ),
            (
                "restored: access up with one link down, the other goes down",
                AccessDetector::restore(
                    LinkState::Up,
                    t(-7200),
                    vec![
                        LinkDetector::restore(LinkState::Down, t(-900)),
                        LinkDetector::restore(LinkState::Up, t(-7200)),
                    ],
                ),
                default.clone(),
                both(&[F, F, F], &[F, F, F]),
                vec![(121, 1, down(1))],
                vec![(121, adown(1))],
            ),
            (
                "a link number the access does not have changes nothing",
                AccessDetector::new(1),
                default.clone(),
                vec![(0, 1, F), (60, 1, F), (120, 1, F)],
                vec![],
                vec![],
            ),
        ];
        for (name, detector, s, steps, link_events, access_events) in cases {
            assert_eq!(run_access(detector, &steps, &s), (link_events, access_events), "{name}");
        }
    }

    #[test]
    fn round_is_gap_table() {
        let default = MonitorSettings::default();
        let cases = [
            ("no targets", 0, 0, false),
            ("too few targets to tell", 9, 9, false),
            ("exactly the share of the minimum", 10, 8, true),
            ("just under the share", 10, 7, false),
            ("80 of 100", 100, 80, true),
            ("79 of 100", 100, 79, false),
            ("all failed", 5_000, 5_000, true),
            ("more failures than probes is all of them", 10, 11, true),
        ];
        for (name, probed, failed, expected) in cases {
            assert_eq!(round_is_gap(probed, failed, &default), expected, "{name}");
        }
        let strict = MonitorSettings { gap_share_percent: 100, gap_min_targets: 1, ..default };
        assert!(round_is_gap(1, 1, &strict));
        assert!(!round_is_gap(3, 2, &strict));
    }

    #[test]
    fn gap_tracker_table() {
        let cases: Vec<(&str, GapTracker, Rounds, GapLog)> = vec![
            ("no gap", GapTracker::new(), vec![(0, false), (60, false)], vec![]),
            (
                "a gap from its first round to the first normal one",
                GapTracker::new(),
                vec![(0, false), (60, true), (120, true), (180, false), (240, false)],
                vec![(60, GapEvent::Started { at: t(60) }), (180, GapEvent::Ended { span: (t(60), t(180)) })],
            ),
            (
                "two gaps",
                GapTracker::new(),
                vec![(0, true), (60, false), (120, true), (180, false)],
                vec![
                    (0, GapEvent::Started { at: t(0) }),
                    (60, GapEvent::Ended { span: (t(0), t(60)) }),
                    (120, GapEvent::Started { at: t(120) }),
                    (180, GapEvent::Ended { span: (t(120), t(180)) }),
                ],
            ),
            (
                "restored open gap",
                GapTracker::restore(Some(t(-600))),
                vec![(0, true), (60, false)],
                vec![(60, GapEvent::Ended { span: (t(-600), t(60)) })],
            ),
            (
                "a stale normal round ends nothing",
                GapTracker::restore(Some(t(600))),
                vec![(0, false), (660, false)],
                vec![(660, GapEvent::Ended { span: (t(600), t(660)) })],
            ),
        ];
        for (name, mut tracker, rounds, expected) in cases {
            let events: Vec<_> = rounds
                .iter()
                .filter_map(|&(offset, gap)| tracker.round(t(offset), gap).map(|e| (offset, e)))
                .collect();
            assert_eq!(events, expected, "{name}");
            assert_eq!(tracker.open_since(), None, "{name}: the gap is closed at the end");
        }
    }

    #[test]
    fn settings_defaults_are_valid_and_serde_fills_them() {
        let s = MonitorSettings::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.interval(), std::time::Duration::from_secs(60));
        assert_eq!(s.timeout(), std::time::Duration::from_secs(2));
        let partial: MonitorSettings = serde_json::from_str(r#"{"down_after": 5}"#).unwrap();
        assert_eq!(partial, MonitorSettings { down_after: 5, ..MonitorSettings::default() });
        let round_trip: MonitorSettings = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(round_trip, s);
    }

    #[test]
    fn settings_validation_names_each_field() {
        type Edit = fn(&mut MonitorSettings);
        let cases: Vec<(Edit, &str, i64, i64)> = vec![
            (|s| s.interval_ms = 99, "interval_ms", 100, 3_600_000),
            (|s| s.interval_ms = 3_600_001, "interval_ms", 100, 3_600_000),
            (|s| s.timeout_ms = 0, "timeout_ms", 1, 59_999),
            (|s| s.timeout_ms = 60_000, "timeout_ms", 1, 59_999),
            (
                |s| {
                    s.retries = 2;
                    s.timeout_ms = 20_000;
                },
                "timeout_ms",
                1,
                19_999,
            ),
            (|s| s.retries = 6, "retries", 0, 5),
            (|s| s.down_after = 0, "down_after", 1, 100),
            (|s| s.down_after = 101, "down_after", 1, 100),
            (|s| s.up_after = 0, "up_after", 1, 100),
            (|s| s.up_after = 101, "up_after", 1, 100),
            (|s| s.gap_share_percent = 0, "gap_share_percent", 1, 100),
            (|s| s.gap_share_percent = 101, "gap_share_percent", 1, 100),
            (|s| s.gap_min_targets = 0, "gap_min_targets", 1, 100_000),
            (|s| s.hourly_stats_retention_days = 0, "hourly_stats_retention_days", 1, 90),
            (|s| s.daily_stats_retention_days = 0, "daily_stats_retention_days", 1, 3_650),
            (|s| s.link_outage_retention_days = 3_651, "link_outage_retention_days", 1, 3_650),
        ];
        for (edit, field, min, max) in cases {
            let mut s = MonitorSettings::default();
            edit(&mut s);
            assert_eq!(s.validate(), Err(FieldError::new(field, Rule::OutOfRange { min, max })), "{field}");
        }
        // The limits themselves are accepted.
        let edge = MonitorSettings {
            interval_ms: 100,
            timeout_ms: 16,
            retries: 5,
            down_after: 100,
            up_after: 1,
            gap_share_percent: 100,
            gap_min_targets: 1,
            ..MonitorSettings::default()
        };
        assert_eq!(edge.validate(), Ok(()));
    }

    #[test]
    fn counts_of_states() {
        use LinkState::*;
        let counts = Counts::of([Up, Down, Up, Unknown, Up]);
        assert_eq!(counts, Counts { up: 3, down: 1, unknown: 1 });
        assert_eq!(counts.total(), 5);
        assert_eq!(Counts::of([]), Counts::default());
    }

    #[test]
    fn availability_table() {
        /// Up, down and unknown seconds.
        type Expected = (i64, i64, i64);
        let day = (t(0), t(86_400));
        let hour = 3_600;
        let s = |a: i64, b: i64| (t(a), t(b));
        let cases: Vec<(&str, Spans, Spans, Expected)> = vec![
            ("nothing happened", vec![], vec![], (86_400, 0, 0)),
            ("one hour down", vec![s(hour, 2 * hour)], vec![], (86_400 - hour, hour, 0)),
            (
                "overlapping outages count once",
                vec![s(hour, 3 * hour), s(2 * hour, 4 * hour), s(2 * hour, 3 * hour)],
                vec![],
                (86_400 - 3 * hour, 3 * hour, 0),
            ),
            (
                "outages clipped to the period",
                vec![s(-hour, hour), s(86_400 - hour, 86_400 + hour)],
                vec![],
                (86_400 - 2 * hour, 2 * hour, 0),
            ),
            ("an outage outside the period", vec![s(-2 * hour, -hour)], vec![], (86_400, 0, 0)),
            ("an empty or reversed outage", vec![s(hour, hour), s(2 * hour, hour)], vec![], (86_400, 0, 0)),
            ("a gap is unknown", vec![], vec![s(hour, 2 * hour)], (86_400 - hour, 0, hour)),
            (
                "a gap inside an outage is unknown, not down",
                vec![s(hour, 4 * hour)],
                vec![s(2 * hour, 3 * hour)],
                (86_400 - 3 * hour, 2 * hour, hour),
            ),
            (
                "overlapping gaps clipped and counted once",
                vec![s(0, hour)],
                vec![s(-hour, hour / 2), s(0, hour / 2), s(86_000, 90_000)],
                (86_400 - hour - 400, hour / 2, hour / 2 + 400),
            ),
            ("all unknown", vec![s(0, 86_400)], vec![s(-1, 86_401)], (0, 0, 86_400)),
        ];
        for (name, outages, gaps, (up, down, unknown)) in cases {
            let a = availability_permille(day, &outages, &gaps);
            assert_eq!(
                a,
                Availability { up_seconds: up, down_seconds: down, unknown_seconds: unknown },
                "{name}"
            );
        }
    }

    #[test]
    fn availability_ratios() {
        let a =
            |up, down, unknown| Availability { up_seconds: up, down_seconds: down, unknown_seconds: unknown };
        assert_eq!(a(86_400, 0, 0).permille(), Some(1_000));
        assert_eq!(a(0, 0, 86_400).permille(), None, "nothing known");
        // 23 h up of 24 h known: 958.33‰; the gap does not count.
        assert_eq!(a(23 * 3_600, 3_600, 7_200).permille(), Some(958));
        assert_eq!(a(9_995, 5, 0).permille(), Some(1_000), "999.5‰ rounds up");
        assert_eq!(a(2, 1, 0).micro(), Some(666_667));
        let empty_period = availability_permille((t(10), t(10)), &[(t(0), t(20))], &[]);
        assert_eq!(empty_period, a(0, 0, 0));
    }

    /// A random observation: seconds after the previous one, and the result
    /// (`None`: a gap round).
    fn observations() -> impl Strategy<Value = Vec<(i64, Option<bool>)>> {
        proptest::collection::vec(
            (1i64..200, prop_oneof![3 => Just(Some(false)), 3 => Just(Some(true)), 1 => Just(None)]),
            0..120,
        )
    }

    proptest! {
        #[test]
        fn link_events_alternate_and_outages_are_sound(
            steps in observations(), down_after in 1u32..5, up_after in 1u32..5,
        ) {
            let s = settings(down_after, up_after);
            let mut d = LinkDetector::new();
            let (mut at, mut failed_at, mut answered_at) = (0, Vec::new(), Vec::new());
            let mut last: Option<LinkEvent> = None;
            for (delta, result) in steps {
                at += delta;
                let event = match result {
                    Some(ok) => {
                        if ok { answered_at.push(t(at)) } else { failed_at.push(t(at)) }
                        d.observe(t(at), ok, &s)
                    }
                    None => {
                        d.observe_gap();
                        None
                    }
                };
                let Some(event) = event else { continue };
                match (last, event) {
                    (Some(LinkEvent::Down { .. }), LinkEvent::Down { .. }) => {
                        prop_assert!(false, "two Down events without an Up between")
                    }
                    (Some(LinkEvent::Up { .. }), LinkEvent::Up { .. }) => {
                        prop_assert!(false, "two Up events without a Down between")
                    }
                    (None, LinkEvent::Up { outage, .. }) => prop_assert_eq!(outage, None),
                    (Some(LinkEvent::Down { since: start }), LinkEvent::Up { since, outage }) => {
                        let (s0, e0) = outage.expect("an Up after a Down closes the outage");
                        prop_assert_eq!((s0, e0), (start, since));
                        prop_assert!(s0 < e0);
                        prop_assert!(failed_at.contains(&s0), "the outage starts at a failed probe");
                        prop_assert!(answered_at.contains(&e0), "the outage ends at an answered probe");
                    }
                    _ => {}
                }
                if let LinkEvent::Down { since } = event {
                    prop_assert!(failed_at.contains(&since));
                }
                prop_assert!(d.since() <= Some(t(at)));
                last = Some(event);
            }
        }

        #[test]
        fn access_is_down_only_while_all_links_are(
            steps in proptest::collection::vec((1i64..100, 0usize..2, prop_oneof![3 => Just(Some(false)), 3 => Just(Some(true)), 1 => Just(None)]), 0..150),
            down_after in 1u32..4, up_after in 1u32..4,
        ) {
            let s = settings(down_after, up_after);
            let mut d = AccessDetector::new(2);
            let (mut at, mut last): (i64, Option<AccessEvent>) = (0, None);
            for (delta, link, result) in steps {
                at += delta;
                let observed = match result {
                    Some(ok) => d.observe(link, t(at), ok, &s),
                    None => {
                        d.observe_gap();
                        Observed::default()
                    }
                };
                prop_assert!(observed.access.is_none() || observed.link.is_some());
                check_access_state(&d);
                let Some(event) = observed.access else { continue };
                match (last, event) {
                    (Some(AccessEvent::Down { .. }), AccessEvent::Down { .. })
                    | (Some(AccessEvent::Up { .. }), AccessEvent::Up { .. }) => {
                        prop_assert!(false, "access events must alternate: {:?} then {:?}", last, event)
                    }
                    (Some(AccessEvent::Down { since: start }), AccessEvent::Up { since, outage }) => {
                        prop_assert_eq!(outage, Some((start, since)));
                        prop_assert!(start <= since);
                    }
                    (None, AccessEvent::Up { outage, .. }) => prop_assert_eq!(outage, None),
                    _ => {}
                }
                last = Some(event);
            }
        }

        #[test]
        fn more_outage_never_raises_availability(
            outages in proptest::collection::vec((0i64..86_400, 1i64..20_000), 0..6),
            extra in (0i64..86_400, 1i64..20_000),
            gaps in proptest::collection::vec((0i64..86_400, 1i64..20_000), 0..3),
        ) {
            let to = |v: &[(i64, i64)]| v.iter().map(|&(a, l)| (t(a), t(a + l))).collect::<Vec<_>>();
            let day = (t(0), t(86_400));
            let before = availability_permille(day, &to(&outages), &to(&gaps));
            let mut more = outages.clone();
            more.push(extra);
            let after = availability_permille(day, &to(&more), &to(&gaps));
            prop_assert_eq!(before.up_seconds + before.down_seconds + before.unknown_seconds, 86_400);
            prop_assert!(after.up_seconds <= before.up_seconds);
            prop_assert!(after.permille().unwrap_or(1_000) <= before.permille().unwrap_or(1_000));
            prop_assert_eq!(after.unknown_seconds, before.unknown_seconds);
        }
    }
}
