//! The calendar use cases on both backends: settings (admin only, audited),
//! holidays kept as data (admin and network manager, validated, audited,
//! one per date and place), which state applies, the holidays of a year and
//! due dates in a place, and the calendar service orders will count with.

use super::actor;
use chrono::NaiveDate;
use redegov_app::calendar::{HolidayInput, SettingsInput};
use redegov_app::{Actor, App, AppError, AuditFilter, Page};
use redegov_domain::calendar::{DayUnit, HolidayId, STATES};
use redegov_domain::error::Rule;
use redegov_domain::role::{Role, Scope};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb, on_both_backends};

on_both_backends!(
    settings_are_admin_only_and_audited,
    holidays_of_a_year_follow_the_settings_and_the_place,
    municipal_holidays_are_kept_validated_and_audited,
    due_dates_count_the_place_holidays,
);

const BELO_HORIZONTE: u32 = 3106200;
const SAO_PAULO: u32 = 3550308;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

async fn app(db: &TestDb) -> App {
    App::new(db.store().await, FakeClock::at(TEST_NOW))
}

fn invalid(result: Result<impl std::fmt::Debug, AppError>) -> (String, Rule) {
    match result {
        Err(AppError::Invalid(e)) => (e.field, e.rule),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn audited(app: &App, entity: &str) -> i64 {
    let filter = AuditFilter { entity: Some(entity.into()), ..Default::default() };
    app.list_audit(&Actor::system(), &filter, Page::default()).await.expect("audit").total
}

fn dates(holidays: &[redegov_app::calendar::ListedHoliday]) -> Vec<String> {
    holidays.iter().map(|h| h.date.to_string()).collect()
}

async fn settings_are_admin_only_and_audited(db: TestDb) {
    let app = app(&db).await;
    let admin = actor(Role::Admin, Scope::All);
    let initial = app.calendar_settings(&actor(Role::Auditor, Scope::All)).await.expect("read");
    assert_eq!((initial.state, initial.carnival, initial.corpus_christi), (None, false, false));
    let mg = SettingsInput { state: Some(" mg ".into()), carnival: true, corpus_christi: false };
    for role in [Role::Committee, Role::NetworkManager, Role::ContractManager, Role::Auditor] {
        let refused = app.set_calendar_settings(&actor(role, Scope::All), mg.clone()).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{role:?}: {refused:?}");
    }
    let bad = SettingsInput { state: Some("XX".into()), ..mg.clone() };
    assert_eq!(invalid(app.set_calendar_settings(&admin, bad).await), ("state".into(), Rule::OneOf(STATES)));
    assert_eq!(audited(&app, "calendar_settings").await, 0, "refusals write nothing");

    let stored = app.set_calendar_settings(&admin, mg).await.expect("admin sets");
    assert_eq!((stored.state.as_deref(), stored.carnival), (Some("MG"), true));
    assert_eq!(app.calendar_settings(&admin).await.expect("read"), stored);
    assert_eq!(audited(&app, "calendar_settings").await, 1);
    let national = SettingsInput { state: Some(String::new()), carnival: false, corpus_christi: true };
    let stored = app.set_calendar_settings(&admin, national).await.expect("blank state: national only");
    assert_eq!((stored.state, stored.carnival, stored.corpus_christi), (None, false, true));
    assert_eq!(audited(&app, "calendar_settings").await, 2);
}

async fn holidays_of_a_year_follow_the_settings_and_the_place(db: TestDb) {
    let app = app(&db).await;
    let admin = actor(Role::Admin, Scope::All);
    let agency = actor(Role::AgencyManager, Scope::Agency(redegov_domain::ids::AgencyId(1)));
    let mg = app.holidays(&agency, 2027, Some("MG"), None).await.expect("any role reads");
    assert_eq!(mg.len(), 10, "{:?}", dates(&mg));
    assert_eq!(mg[1].date, d("2027-03-26"));
    assert_eq!(mg[1].name, "Sexta-feira Santa");
    assert!(mg.iter().all(|h| h.id.is_none()), "nothing kept as data yet");

    // The settings' optional holidays apply; their state is the default.
    let settings = SettingsInput { state: Some("SP".into()), carnival: true, corpus_christi: true };
    app.set_calendar_settings(&admin, settings).await.expect("settings");
    let default = app.holidays(&agency, 2027, None, None).await.expect("read");
    assert_eq!(default.len(), 14, "10 national, carnival ×2, corpus christi, 9 July: {:?}", dates(&default));
    assert!(dates(&default).contains(&"2027-07-09".to_string()));
    assert!(dates(&default).contains(&"2027-02-08".to_string()), "carnival Monday");
    let asked_mg = app.holidays(&agency, 2027, Some("MG"), None).await.expect("read");
    assert_eq!(asked_mg.len(), 13, "the state asked for wins over the settings'");

    // Without a state, a municipality brings its own.
    app.set_calendar_settings(&admin, SettingsInput::default()).await.expect("settings");
    let sp_city = app.holidays(&agency, 2027, None, Some(SAO_PAULO)).await.expect("read");
    assert!(dates(&sp_city).contains(&"2027-07-09".to_string()));
    let bh = app.holidays(&agency, 2027, None, Some(BELO_HORIZONTE)).await.expect("read");
    assert_eq!(bh.len(), 10);

    assert_eq!(invalid(app.holidays(&agency, 1899, None, None).await).0, "year");
    assert_eq!(invalid(app.holidays(&agency, 2027, Some("ZZ"), None).await).0, "state");
    assert_eq!(
        invalid(app.holidays(&agency, 2027, None, Some(1)).await),
        ("municipality".into(), Rule::UnknownMunicipality)
    );
}

async fn municipal_holidays_are_kept_validated_and_audited(db: TestDb) {
    let app = app(&db).await;
    let noc = actor(Role::NetworkManager, Scope::All);
    let immaculate = |municipality_ibge| HolidayInput {
        municipality_ibge,
        date: d("2027-12-08"),
        name: "Imaculada Conceição".into(),
    };
    for role in [Role::Committee, Role::ContractManager, Role::Auditor] {
        let refused = app.add_holiday(&actor(role, Scope::All), immaculate(Some(BELO_HORIZONTE))).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{role:?}: {refused:?}");
    }
    let blank = HolidayInput { name: "  ".into(), ..immaculate(None) };
    assert_eq!(invalid(app.add_holiday(&noc, blank).await), ("name".into(), Rule::Required));
    assert_eq!(
        invalid(app.add_holiday(&noc, immaculate(Some(9_999_999))).await),
        ("municipality_ibge".into(), Rule::UnknownMunicipality)
    );
    assert_eq!(audited(&app, "holiday").await, 0, "refusals write nothing");

    let kept = app.add_holiday(&noc, immaculate(Some(BELO_HORIZONTE))).await.expect("kept");
    assert_eq!((kept.municipality_ibge, kept.date), (Some(BELO_HORIZONTE), d("2027-12-08")));
    assert_eq!(
        invalid(app.add_holiday(&noc, immaculate(Some(BELO_HORIZONTE))).await),
        ("date".into(), Rule::Duplicate)
    );
    // The same date elsewhere, or for the whole network, is another holiday;
    // a second network-wide one on that date is a duplicate too.
    let network = app.add_holiday(&actor(Role::Admin, Scope::All), immaculate(None)).await.expect("network");
    assert_eq!(invalid(app.add_holiday(&noc, immaculate(None)).await), ("date".into(), Rule::Duplicate));
    assert_eq!(audited(&app, "holiday").await, 2);

    let reader = actor(Role::Operator, Scope::Operator(redegov_domain::ids::OperatorId(1)));
    let bh = app.holidays(&reader, 2027, None, Some(BELO_HORIZONTE)).await.expect("read");
    let listed = bh.iter().find(|h| h.date == d("2027-12-08")).expect("listed");
    assert_eq!(listed.name, "Imaculada Conceição");
    assert!(listed.id == Some(network.id) || listed.id == Some(kept.id), "{listed:?}");
    assert_eq!(bh.len(), 11);

    app.delete_holiday(&noc, network.id).await.expect("deleted");
    let everywhere = app.holidays(&reader, 2027, Some("MG"), None).await.expect("read");
    assert_eq!(everywhere.len(), 10, "the network-wide one is gone");
    let bh = app.holidays(&reader, 2027, None, Some(BELO_HORIZONTE)).await.expect("read");
    assert_eq!(bh.iter().find(|h| h.date == d("2027-12-08")).and_then(|h| h.id), Some(kept.id));
    assert!(matches!(app.delete_holiday(&noc, network.id).await, Err(AppError::NotFound("holiday"))));
    assert!(matches!(
        app.delete_holiday(&actor(Role::Auditor, Scope::All), kept.id).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(app.delete_holiday(&noc, HolidayId(-5)).await, Err(AppError::NotFound(_))));
    assert_eq!(audited(&app, "holiday").await, 3, "two creations and one deletion");
}

async fn due_dates_count_the_place_holidays(db: TestDb) {
    let app = app(&db).await;
    let auditor = actor(Role::Auditor, Scope::All);
    let due = |start: &str, days, unit, state: Option<&'static str>, municipality| {
        let app = app.clone();
        let auditor = auditor.clone();
        let start = d(start);
        async move { app.due_date(&auditor, start, days, unit, state, municipality).await }
    };
    // Wed 23/12/2026 + 10 business days in MG: 25/12 and 1/1 are holidays.
    assert_eq!(
        due("2026-12-23", 10, DayUnit::Business, Some("MG"), None).await.expect("due"),
        d("2027-01-08")
    );
    // 10 calendar days from Thu 2027-01-07 end on Sunday the 17th: Monday.
    assert_eq!(due("2027-01-07", 10, DayUnit::Calendar, None, None).await.expect("due"), d("2027-01-18"));

    app.add_holiday(
        &actor(Role::Admin, Scope::All),
        HolidayInput {
            municipality_ibge: Some(BELO_HORIZONTE),
            date: d("2026-12-08"),
            name: "Imaculada Conceição".into(),
        },
    )
    .await
    .expect("kept");
    assert_eq!(
        due("2026-12-07", 1, DayUnit::Business, None, Some(BELO_HORIZONTE)).await.expect("due"),
        d("2026-12-09")
    );
    assert_eq!(due("2026-12-07", 1, DayUnit::Business, None, None).await.expect("due"), d("2026-12-08"));

    assert_eq!(
        invalid(due("2026-12-07", 3651, DayUnit::Business, None, None).await),
        ("days".into(), Rule::OutOfRange { min: 0, max: 3650 })
    );
    assert_eq!(invalid(due("2026-12-07", 1, DayUnit::Business, Some("XX"), None).await).0, "state");
    assert_eq!(invalid(due("2026-12-07", 1, DayUnit::Business, None, Some(42)).await).0, "municipality");
}
