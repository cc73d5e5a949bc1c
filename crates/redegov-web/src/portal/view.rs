//! The pieces pages are built from: table cells and tables (one definition
//! serves both the HTML table and the CSV/XLSX export), facts of a detail
//! page, filter fields and buttons, and the pt-BR formatting of values.
//!
//! Pure data for the templates; no I/O and no permission decisions.

use crate::export::{Cell, Table};
use redegov_domain::inventory::AccessStatus;
use redegov_domain::money::{Money, group_thousands};
use redegov_domain::time::{Timestamp, format_date, format_local};

/// How a cell is shown on the page.
pub enum Show {
    Plain,
    Link(String),
    /// A status badge; the value is the CSS modifier (e.g. `st-active`).
    Badge(String),
    /// Before → after snapshots of the audit log, folded.
    Changes(Changes),
}

/// What changed in an audit entry.
pub struct Changes {
    pub summary: String,
    pub before: String,
    pub after: String,
}

/// One cell: the value as exported, the text as shown, and how it is shown.
pub struct Col {
    pub cell: Cell,
    pub text: String,
    pub show: Show,
    pub numeric: bool,
}

impl Col {
    pub fn text(text: impl Into<String>) -> Col {
        let text = text.into();
        Col { cell: Cell::Text(text.clone()), text, show: Show::Plain, numeric: false }
    }

    pub fn int(value: i64) -> Col {
        Col { cell: Cell::Int(value), text: count(value), show: Show::Plain, numeric: true }
    }

    /// A record number: no thousands separator (`2813`, as typed in URLs).
    pub fn id(value: i64) -> Col {
        Col { cell: Cell::Int(value), text: value.to_string(), show: Show::Plain, numeric: true }
    }

    pub fn money(value: Money) -> Col {
        Col { cell: Cell::Money(value), text: value.format_brl(), show: Show::Plain, numeric: true }
    }

    /// A bandwidth: exported as the number of Mbps, shown as `10 Mbps`.
    pub fn mbps(value: i64) -> Col {
        Col { cell: Cell::Int(value), text: mbps(value), show: Show::Plain, numeric: true }
    }

    pub fn status(status: AccessStatus) -> Col {
        Col::text(status.label()).badge(format!("st-{}", status.as_str()))
    }

    pub fn link(mut self, href: impl Into<String>) -> Col {
        self.show = Show::Link(href.into());
        self
    }

    pub fn badge(mut self, class: impl Into<String>) -> Col {
        self.show = Show::Badge(class.into());
        self
    }

    pub fn changes(mut self, changes: Changes) -> Col {
        self.show = Show::Changes(changes);
        self
    }

    /// Where the cell links to, if it is a link (for the templates).
    pub fn href(&self) -> Option<&str> {
        match &self.show {
            Show::Link(href) => Some(href),
            _ => None,
        }
    }

    /// The badge's CSS modifier, if the cell is a badge.
    pub fn badge_class(&self) -> Option<&str> {
        match &self.show {
            Show::Badge(class) => Some(class),
            _ => None,
        }
    }

    /// The audit snapshots, if the cell folds them.
    pub fn folded(&self) -> Option<&Changes> {
        match &self.show {
            Show::Changes(changes) => Some(changes),
            _ => None,
        }
    }
}

/// A column of a list: its header, and whether the page, the export or
/// both carry it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub label: &'static str,
    pub on_page: bool,
    pub in_export: bool,
}

impl Column {
    pub const fn both(label: &'static str) -> Column {
        Column { label, on_page: true, in_export: true }
    }

    pub const fn page_only(label: &'static str) -> Column {
        Column { label, on_page: true, in_export: false }
    }

    pub const fn export_only(label: &'static str) -> Column {
        Column { label, on_page: false, in_export: true }
    }
}

pub struct Header {
    pub label: String,
    pub numeric: bool,
}

/// An HTML table.
pub struct Grid {
    /// The element id (empty for none), for links and browser tests.
    pub id: &'static str,
    pub headers: Vec<Header>,
    pub rows: Vec<Vec<Col>>,
    /// A CSS class per row (empty for none), e.g. to highlight open incidents.
    pub row_classes: Vec<&'static str>,
    pub empty: &'static str,
}

impl Grid {
    /// The CSS class of row `i` (for the templates).
    pub fn row_class(&self, i: &usize) -> &str {
        self.row_classes.get(*i).copied().unwrap_or("")
    }

    /// The same table with another message for when it has no rows.
    pub fn empty_text(mut self, empty: &'static str) -> Grid {
        self.empty = empty;
        self
    }
}

/// A kind of row that can be listed: its columns and each row's cells
/// (one cell per column, in order).
pub trait Listing {
    type Item;
    const COLUMNS: &'static [Column];

    fn cells(&self, item: &Self::Item) -> Vec<Col>;

    /// A CSS class for the item's row on the page (none by default).
    fn row_class(&self, _item: &Self::Item) -> &'static str {
        ""
    }

    /// The page's table of these items.
    fn grid(&self, id: &'static str, items: &[Self::Item]) -> Grid {
        let rows =
            items.iter().map(|item| pick(Self::COLUMNS, self.cells(item), |c| c.on_page)).collect::<Vec<_>>();
        let row_classes = items.iter().map(|item| self.row_class(item)).collect();
        let numeric = |i: usize| rows.first().and_then(|r: &Vec<Col>| r.get(i)).is_some_and(|c| c.numeric);
        let headers = Self::COLUMNS
            .iter()
            .filter(|c| c.on_page)
            .enumerate()
            .map(|(i, c)| Header { label: c.label.to_string(), numeric: numeric(i) })
            .collect();
        Grid { id, headers, rows, row_classes, empty: "Nenhum registro encontrado." }
    }

    /// The export of these items.
    fn table(&self, title: &str, items: &[Self::Item]) -> Table {
        let headers: Vec<&str> = Self::COLUMNS.iter().filter(|c| c.in_export).map(|c| c.label).collect();
        let mut table = Table::new(title, &headers);
        for item in items {
            let row = pick(Self::COLUMNS, self.cells(item), |c| c.in_export);
            table.push(row.into_iter().map(|c| c.cell).collect());
        }
        table
    }
}

/// The cells whose column passes `keep`.
fn pick(columns: &[Column], cells: Vec<Col>, keep: impl Fn(&Column) -> bool) -> Vec<Col> {
    debug_assert_eq!(columns.len(), cells.len(), "one cell per column");
    columns.iter().zip(cells).filter(|(c, _)| keep(c)).map(|(_, cell)| cell).collect()
}

/// A headline number.
pub struct Kpi {
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

impl Kpi {
    pub fn new(label: &'static str, value: impl Into<String>, note: impl Into<String>) -> Kpi {
        Kpi { label, value: value.into(), note: note.into() }
    }
}

/// One labelled value of a detail page.
pub struct Fact {
    pub label: &'static str,
    pub value: Col,
}

impl Fact {
    pub fn new(label: &'static str, value: Col) -> Fact {
        Fact { label, value }
    }

    pub fn text(label: &'static str, value: impl Into<String>) -> Fact {
        let value = value.into();
        Fact::new(label, Col::text(if value.trim().is_empty() { "—".to_string() } else { value }))
    }
}

/// A link styled as a button.
pub struct LinkButton {
    pub label: String,
    pub href: String,
    pub primary: bool,
}

impl LinkButton {
    pub fn primary(label: impl Into<String>, href: impl Into<String>) -> LinkButton {
        LinkButton { label: label.into(), href: href.into(), primary: true }
    }

    pub fn secondary(label: impl Into<String>, href: impl Into<String>) -> LinkButton {
        LinkButton { label: label.into(), href: href.into(), primary: false }
    }
}

/// One option of a `<select>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        let selected = value == current;
        Opt { value, label: label.into(), selected }
    }
}

/// A field of a list's filter form: a text box, or a select when it has
/// options.
pub struct FilterField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub placeholder: &'static str,
    pub options: Vec<Opt>,
}

impl FilterField {
    pub fn search(
        name: &'static str,
        label: &'static str,
        value: Option<String>,
        placeholder: &'static str,
    ) -> Self {
        FilterField { name, label, value: value.unwrap_or_default(), placeholder, options: Vec::new() }
    }

    /// A select whose first option ("Todos") means "do not filter".
    pub fn select(
        name: &'static str,
        label: &'static str,
        current: Option<String>,
        choices: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let value = current.unwrap_or_default();
        let mut options = vec![Opt::new("", "Todos", &value)];
        options.extend(choices.into_iter().map(|(v, l)| Opt::new(v, l, &value)));
        FilterField { name, label, value, placeholder: "", options }
    }
}

/// Orders lot codes the way people read them: `1A`, `2A`, …, `10A`
/// (the database orders text, which puts `10A` first).
pub fn natural_key(code: &str) -> (u64, String) {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u64::MAX), code[digits.len()..].to_uppercase())
}

/// `10 Mbps`.
pub fn mbps(value: i64) -> String {
    format!("{} Mbps", count(value))
}

/// An integer with pt-BR thousands separators: `12.345`.
pub fn count(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(value.unsigned_abs()))
}

/// A round-trip time in microseconds as milliseconds to the tenth:
/// `1,5 ms`, `1.234,6 ms`.
pub fn latency(us: i64) -> String {
    let tenths = redegov_domain::money::div_round(i128::from(us), 100);
    let tenths = i64::try_from(tenths).unwrap_or(i64::MAX);
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{},{} ms", group_thousands(abs / 10), abs % 10)
}

/// `1 acesso`, `2 acessos`, `1.234 acessos`.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// `dd/mm/aaaa hh:mm` in America/Sao_Paulo, or a dash.
pub fn when(at: Option<Timestamp>) -> String {
    at.map(format_local).unwrap_or_else(|| "—".into())
}

/// A validity period: `01/01/2015 a 31/12/2026`, open ends shown as such.
pub fn period(from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> String {
    match (from, to) {
        (None, None) => "—".into(),
        (Some(f), None) => format!("desde {}", format_date(f)),
        (None, Some(t)) => format!("até {}", format_date(t)),
        (Some(f), Some(t)) => format!("{} a {}", format_date(f), format_date(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Numbers;

    impl Listing for Numbers {
        type Item = (i64, &'static str);
        const COLUMNS: &'static [Column] =
            &[Column::both("Nº"), Column::page_only("Só na página"), Column::export_only("Só no arquivo")];

        fn cells(&self, item: &Self::Item) -> Vec<Col> {
            vec![Col::int(item.0).link(format!("/n/{}", item.0)), Col::text(item.1), Col::text("x")]
        }
    }

    #[test]
    fn page_and_export_take_their_own_columns() {
        let items = [(1, "um"), (2, "dois")];
        let grid = Numbers.grid("numeros", &items);
        assert_eq!(grid.headers.iter().map(|h| h.label.as_str()).collect::<Vec<_>>(), ["Nº", "Só na página"]);
        assert!(grid.headers[0].numeric && !grid.headers[1].numeric);
        assert_eq!(grid.rows[1][1].text, "dois");
        let table = Numbers.table("Números", &items);
        assert_eq!(table.headers, ["Nº", "Só no arquivo"]);
        assert_eq!(table.rows[0], vec![Cell::Int(1), Cell::Text("x".into())]);
    }

    #[test]
    fn formats_values_in_pt_br() {
        assert_eq!(mbps(10), "10 Mbps");
        assert_eq!(mbps(10_000), "10.000 Mbps");
        assert_eq!(count(-1234), "-1.234");
        assert_eq!(latency(1_500), "1,5 ms");
        assert_eq!(latency(849), "0,8 ms");
        assert_eq!(latency(1_234_550), "1.234,6 ms");
        assert_eq!(plural(1, "acesso", "acessos"), "1 acesso");
        assert_eq!(plural(0, "acesso", "acessos"), "0 acessos");
        let mut codes = ["10A", "1A", "4B", "4A", "X"];
        codes.sort_by_key(|c| natural_key(c));
        assert_eq!(codes, ["1A", "4A", "4B", "10A", "X"]);
        let d = |s: &str| s.parse::<chrono::NaiveDate>().ok();
        assert_eq!(period(d("2015-01-01"), d("2026-12-31")), "01/01/2015 a 31/12/2026");
        assert_eq!(period(d("2015-01-01"), None), "desde 01/01/2015");
    }
}
