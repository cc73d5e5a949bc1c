//! An access's monitoring page (`/acessos/{id}/monitoramento`, linked from
//! the access's page): availability over the last 24 hours and 30 days,
//! the state of each monitored link and since when, the time of each hour
//! and each day split into up, down and unknown (a monitoring gap is its
//! own hatched part, never downtime), the latency per hour and per day
//! (average, with minimum–maximum), each chart followed by a table with
//! the same numbers, and the links' outages of the period.
//!
//! The numbers are `App::access_monitoring`'s, scoped like the access
//! itself (one outside the actor's scope is the same 404 as one that does
//! not exist). These are monitoring figures, not billing: the month's
//! discount is explained on the access's page.

use super::charts::{LatencyChart, LatencyInput, StateChart, StateInput};
use super::localtime::{
    date_text, day_label, duration, format_local_seconds, from_ms, hour_label, percent_micro_short,
};
use super::view::{Col, Column, Grid, Kpi, LinkButton, Listing, count, latency};
use super::{Chrome, Section, parse_id, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use redegov_app::noc::{AccessMonitoring, ChartPoint};
use redegov_domain::ids::AccessId;
use redegov_domain::monitor::{Availability, LinkState};
use redegov_domain::time::{Timestamp, format_local};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// One bucket of a chart, with the time it covered so far.
struct Bucket {
    /// How the table names it: `10/03 14h`, `05/03/2026`.
    period: String,
    /// The label under its column (empty for none).
    tick: String,
    /// The tooltip's beginning: the bucket in words.
    when: String,
    up: i64,
    down: i64,
    unknown: i64,
    point: ChartPoint,
}

impl Bucket {
    /// `len` seconds from the point's start, cut at `now` (the current
    /// hour or day is partial); up is what is neither down nor unknown.
    fn new(point: &ChartPoint, len: i64, now: i64, tick: String, period: String, when: String) -> Bucket {
        let start = point.at.timestamp();
        let elapsed = ((start + len).min(now) - start).max(0);
        let up = (elapsed - point.down_seconds - point.unknown_seconds).max(0);
        let when = if start + len > now { format!("{when} (até agora)") } else { when };
        Bucket {
            period,
            tick,
            when,
            up,
            down: point.down_seconds,
            unknown: point.unknown_seconds,
            point: *point,
        }
    }

    fn availability(&self) -> String {
        availability_text(Availability {
            up_seconds: self.up,
            down_seconds: self.down,
            unknown_seconds: self.unknown,
        })
    }

    fn latency_range(&self) -> String {
        match (self.point.rtt_min_us, self.point.rtt_max_us) {
            (Some(lo), Some(hi)) => format!("{} – {}", latency(lo).trim_end_matches(" ms"), latency(hi)),
            _ => "—".into(),
        }
    }

    fn state_input(&self) -> StateInput {
        StateInput {
            tick: self.tick.clone(),
            tip: format!(
                "{}: disponibilidade {}; fora do ar {}; desconhecido {}",
                self.when,
                self.availability(),
                duration(self.down),
                duration(self.unknown)
            ),
            up_seconds: self.up,
            down_seconds: self.down,
            unknown_seconds: self.unknown,
        }
    }

    fn latency_input(&self) -> LatencyInput {
        let p = &self.point;
        let tip = match p.rtt_avg_us {
            Some(avg) => {
                format!("{}: média {}, mínima–máxima {}", self.when, latency(avg), self.latency_range())
            }
            None => format!("{}: nenhuma sonda respondida", self.when),
        };
        LatencyInput {
            tick: self.tick.clone(),
            tip,
            avg_us: p.rtt_avg_us,
            min_us: p.rtt_min_us,
            max_us: p.rtt_max_us,
        }
    }
}

/// Availability of the known time: `99,95 %`, or why there is none.
fn availability_text(a: Availability) -> String {
    match a.micro() {
        Some(micro) => percent_micro_short(micro),
        None if a.unknown_seconds > 0 => "desconhecida".into(),
        None => "—".into(),
    }
}

/// The table next to a period's charts.
struct Buckets;

impl Listing for Buckets {
    type Item = Bucket;
    const COLUMNS: &'static [Column] = &[
        Column::both("Período"),
        Column::both("Disponibilidade"),
        Column::both("Fora do ar"),
        Column::both("Desconhecido (lacuna)"),
        Column::both("Latência média"),
        Column::both("Mínima – máxima"),
        Column::both("Sondas enviadas"),
        Column::both("Sem resposta"),
    ];

    fn cells(&self, b: &Bucket) -> Vec<Col> {
        let numeric = |text: String| Col { numeric: true, ..Col::text(text) };
        vec![
            Col::text(&b.period),
            numeric(b.availability()),
            numeric(duration(b.down)),
            numeric(duration(b.unknown)),
            numeric(b.point.rtt_avg_us.map(latency).unwrap_or_else(|| "—".into())),
            numeric(b.latency_range()),
            Col::int(b.point.sent),
            Col::int(b.point.lost),
        ]
    }

    fn row_class(&self, b: &Bucket) -> &'static str {
        if b.down > 0 { "row-counted" } else { "" }
    }
}

/// A monitored link's state.
struct LinkView {
    target: String,
    state: LinkState,
    since: Option<Timestamp>,
}

struct Links {
    now: Timestamp,
}

impl Listing for Links {
    type Item = LinkView;
    const COLUMNS: &'static [Column] = &[
        Column::both("Endereço monitorado"),
        Column::both("Estado"),
        Column::both("Desde"),
        Column::both("Há"),
    ];

    fn cells(&self, l: &LinkView) -> Vec<Col> {
        let since = match l.since {
            Some(at) => format_local(at),
            None if l.state == LinkState::Unknown => "ainda sem medição conclusiva".into(),
            None => "—".into(),
        };
        let for_how_long = l.since.map(|at| duration((self.now - at).num_seconds().max(0)));
        vec![
            Col::text(&l.target),
            Col::text(l.state.label()).badge(format!("link-{}", l.state.as_str())),
            Col::text(since),
            Col { numeric: true, ..Col::text(for_how_long.unwrap_or_else(|| "—".into())) },
        ]
    }
}

/// A link's outage.
struct LinkDown {
    target: String,
    started: Timestamp,
    ended: Option<Timestamp>,
}

struct LinkOutages {
    now: Timestamp,
}

impl Listing for LinkOutages {
    type Item = LinkDown;
    const COLUMNS: &'static [Column] =
        &[Column::both("Enlace"), Column::both("Início"), Column::both("Fim"), Column::both("Duração")];

    fn cells(&self, o: &LinkDown) -> Vec<Col> {
        let seconds = (o.ended.unwrap_or(self.now) - o.started).num_seconds().max(0);
        let (end, length) = match o.ended {
            Some(end) => (format_local(end), duration(seconds)),
            None => ("em curso".into(), format!("{} (em curso)", duration(seconds))),
        };
        vec![
            Col::text(&o.target),
            Col::text(format_local(o.started)),
            Col::text(end),
            Col { numeric: true, ..Col::text(length) },
        ]
    }

    fn row_class(&self, o: &LinkDown) -> &'static str {
        if o.ended.is_none() { "row-open" } else { "" }
    }
}

/// One period's charts and table.
pub(super) struct PeriodView {
    pub id: &'static str,
    pub title: &'static str,
    pub states: StateChart,
    pub latency: LatencyChart,
    pub grid: Grid,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage {
    chrome: Chrome,
    heading: String,
    subtitle: String,
    actions: Vec<LinkButton>,
    kpis: Vec<Kpi>,
    note: &'static str,
    links: Grid,
    periods: Vec<PeriodView>,
    outages: Grid,
}

fn period_view(id: &'static str, title: &'static str, buckets: &[Bucket]) -> PeriodView {
    PeriodView {
        id,
        title,
        states: StateChart::new(
            format!("{id}-estado"),
            format!("{title}: tempo operante, fora do ar e desconhecido"),
            buckets.iter().map(Bucket::state_input).collect(),
        ),
        latency: LatencyChart::new(
            format!("{title}: latência média, com mínima e máxima"),
            buckets.iter().map(Bucket::latency_input).collect(),
            latency,
        ),
        grid: Buckets.grid(id, buckets).empty_text("Sem medidas no período."),
    }
}

fn hours(m: &AccessMonitoring, now: i64) -> Vec<Bucket> {
    m.hours
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (day, hour) = (day_label(p.at), hour_label(p.at));
            let tick = if i % 3 == 0 { hour.clone() } else { String::new() };
            let next = hour_label(p.at + chrono::Duration::hours(1));
            Bucket::new(
                p,
                HOUR,
                now,
                tick,
                format!("{day} {hour}"),
                format!("{}, {hour}–{next}", date_text(p.at)),
            )
        })
        .collect()
}

fn days(m: &AccessMonitoring, now: i64) -> Vec<Bucket> {
    m.days
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let tick = if i % 5 == 0 { day_label(p.at) } else { String::new() };
            Bucket::new(p, DAY, now, tick, date_text(p.at), date_text(p.at))
        })
        .collect()
}

/// The links of the access in the order of its targets, with their saved
/// state (a target never probed yet is unknown); a saved state of a target
/// no longer on the access comes last.
fn link_views(targets: &[String], m: &AccessMonitoring) -> Vec<LinkView> {
    let saved = |t: &str| m.links.iter().find(|l| l.target == t);
    let mut views: Vec<LinkView> = targets
        .iter()
        .map(|t| match saved(t) {
            Some(l) => LinkView { target: t.clone(), state: l.state, since: l.since_ms.map(from_ms) },
            None => LinkView { target: t.clone(), state: LinkState::Unknown, since: None },
        })
        .collect();
    for l in &m.links {
        if !targets.contains(&l.target) {
            views.push(LinkView { target: l.target.clone(), state: l.state, since: l.since_ms.map(from_ms) });
        }
    }
    views
}

fn kpis(m: &AccessMonitoring, links: &[LinkView], outages: usize) -> Vec<Kpi> {
    let total = |a: Availability| {
        format!("fora do ar {}; desconhecido {}", duration(a.down_seconds), duration(a.unknown_seconds))
    };
    let state_count = |s: LinkState| links.iter().filter(|l| l.state == s).count() as i64;
    vec![
        Kpi::new("Últimas 24 horas", availability_text(m.day_total), total(m.day_total)),
        Kpi::new("Últimos 30 dias", availability_text(m.month_total), total(m.month_total)),
        Kpi::new(
            "Enlaces operantes",
            format!("{} de {}", count(state_count(LinkState::Up)), count(links.len() as i64)),
            format!(
                "{} inoperante(s), {} desconhecido(s)",
                count(state_count(LinkState::Down)),
                count(state_count(LinkState::Unknown))
            ),
        ),
        Kpi::new("Quedas de enlace", count(outages as i64), "nos últimos 30 dias"),
    ]
}

/// `GET /acessos/{id}/monitoramento`.
pub async fn access(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let id = AccessId(parse_id(&id)?);
    let line = app.get_access(actor, id).await?;
    let m = app.access_monitoring(actor, id).await?;
    let now = app.now();
    let targets: Vec<String> = line.access.probe_targets.iter().map(|t| t.to_string()).collect();
    let links = link_views(&targets, &m);
    let mut outages: Vec<LinkDown> = m
        .outages
        .iter()
        .map(|(target, o)| LinkDown {
            target: target.clone(),
            started: from_ms(o.started_ms),
            ended: o.ended_ms.map(from_ms),
        })
        .collect();
    outages.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.target.cmp(&b.target)));
    let heading = format!("Monitoramento do acesso #{id}");
    let actions = vec![
        LinkButton::secondary("Voltar ao acesso", format!("/acessos/{id}")),
        LinkButton::secondary("Incidentes deste acesso", format!("/incidentes?access={id}")),
        LinkButton::secondary("Painel do NOC", "/noc"),
    ];
    let page = MonitoringPage {
        chrome: Chrome::new(&user, Section::Accesses, heading.clone()),
        heading,
        subtitle: format!(
            "{} — {}, {} (lote {}) · situação em {}",
            line.agency_acronym,
            line.site_address,
            line.municipality_name,
            line.lot_code,
            format_local_seconds(now)
        ),
        actions,
        kpis: kpis(&m, &links, outages.len()),
        note: "A disponibilidade é medida sobre o tempo conhecido: uma lacuna de monitoramento (o coletor sem \
               enxergar a rede) conta como desconhecido, nunca como indisponibilidade. São números do \
               monitoramento; o desconto do mês está na página do acesso.",
        links: Links { now }.grid("enlaces", &links).empty_text("O acesso não tem endereços monitorados."),
        periods: vec![
            period_view("por-hora", "Por hora — últimas 24 horas", &hours(&m, now.timestamp())),
            period_view("por-dia", "Por dia — últimos 30 dias", &days(&m, now.timestamp())),
        ],
        outages: LinkOutages { now }
            .grid("quedas", &outages)
            .empty_text("Nenhuma queda de enlace nos últimos 30 dias."),
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::time::parse_instant;

    fn point(at: &str, down: i64, unknown: i64) -> ChartPoint {
        ChartPoint {
            at: parse_instant("t", at).expect("instant"),
            availability_permille: None,
            down_seconds: down,
            unknown_seconds: unknown,
            rtt_avg_us: Some(1_500),
            rtt_min_us: Some(1_000),
            rtt_max_us: Some(4_000),
            sent: 60,
            lost: 1,
        }
    }

    #[test]
    fn a_bucket_counts_up_time_only_until_now() {
        let now = parse_instant("t", "2026-03-10T12:30:00-03:00").expect("instant").timestamp();
        let whole = Bucket::new(
            &point("2026-03-10T11:00:00-03:00", 36, 0),
            HOUR,
            now,
            "".into(),
            "".into(),
            "x".into(),
        );
        assert_eq!((whole.up, whole.down, whole.unknown), (3_564, 36, 0));
        assert_eq!(whole.availability(), "99,00 %");
        assert_eq!(whole.latency_range(), "1,0 – 4,0 ms");
        let current = Bucket::new(
            &point("2026-03-10T12:00:00-03:00", 0, 600),
            HOUR,
            now,
            "".into(),
            "".into(),
            "y".into(),
        );
        assert_eq!((current.up, current.unknown), (1_200, 600), "half an hour so far, a third of it a gap");
        assert_eq!(current.availability(), "100,00 %", "the gap is unknown, not down");
        assert!(current.state_input().tip.starts_with("y (até agora): disponibilidade 100,00 %"));
        let gap = Bucket::new(
            &point("2026-03-10T10:00:00-03:00", 0, 3_600),
            HOUR,
            now,
            "".into(),
            "".into(),
            "".into(),
        );
        assert_eq!(gap.availability(), "desconhecida");
    }
}
