//! A list page's query string and its pagination: reading filters leniently
//! (a blank or malformed filter is no filter, never an error page), building
//! the links to other pages and to the CSV/XLSX export of the same filters,
//! and the page-number arithmetic.

use crate::export::Format;
use redegov_app::Page;

/// Rows per page of every list.
pub const PER_PAGE: i64 = 50;

/// Parameters that select a page or an export rather than filter rows.
const NAVIGATION: [&str; 2] = ["page", "formato"];

/// The query string of a list page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    params: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses a raw query string; a malformed one counts as empty.
    pub fn parse(raw: Option<&str>) -> ListQuery {
        let params: Vec<(String, String)> =
            raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        ListQuery { params }
    }

    /// A parameter's trimmed value, if given and not blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.params.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string())
    }

    /// A positive integer parameter.
    pub fn id(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(|v| v.parse().ok()).filter(|v: &i64| *v > 0)
    }

    /// A parameter that must be one of `codes` (anything else is ignored).
    pub fn code(&self, name: &str, codes: &[&str]) -> Option<String> {
        self.text(name).filter(|v| codes.contains(&v.as_str()))
    }

    /// The page asked for, from 1.
    pub fn page_number(&self) -> i64 {
        self.id("page").unwrap_or(1)
    }

    /// The export asked for (`formato=csv|xlsx`), if any.
    pub fn export(&self) -> Option<Format> {
        self.text("formato").and_then(|f| Format::parse(&f))
    }

    /// The rows to fetch: the page shown, or every row for an export.
    pub fn fetch(&self) -> Page {
        if self.export().is_some() {
            Page::all()
        } else {
            Page { page: self.page_number(), page_size: PER_PAGE }
        }
    }

    /// `path` with the same filters and `extra` parameters (page, format).
    pub fn href(&self, path: &str, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, v)| !NAVIGATION.contains(&k.as_str()) && !v.trim().is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        match serde_urlencoded::to_string(&pairs) {
            Ok(query) if !query.is_empty() => format!("{path}?{query}"),
            _ => path.to_string(),
        }
    }

    pub fn page_href(&self, path: &str, page: i64) -> String {
        if page <= 1 { self.href(path, &[]) } else { self.href(path, &[("page", page.to_string())]) }
    }

    pub fn export_href(&self, path: &str, format: &str) -> String {
        self.href(path, &[("formato", format.to_string())])
    }

    /// Whether any filter is set (to offer "Limpar filtros").
    pub fn filtered(&self) -> bool {
        self.params.iter().any(|(k, v)| !NAVIGATION.contains(&k.as_str()) && !v.trim().is_empty())
    }
}

/// One link of the page-number bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: i64,
    pub href: String,
    pub current: bool,
    /// Pages were skipped before this one (shown as "…").
    pub gap_before: bool,
}

/// Where a list page stands among all matching rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// 1-based number of the first and last row shown (0 when none).
    pub first_row: i64,
    pub last_row: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
}

/// How many page numbers to show on each side of the current one.
const WINDOW: i64 = 2;

impl Pager {
    pub fn new(page: i64, per_page: i64, total: i64, href: impl Fn(i64) -> String) -> Pager {
        let per_page = per_page.max(1);
        let total = total.max(0);
        let pages = ((total + per_page - 1) / per_page).max(1);
        let page = page.max(1);
        let (first_row, last_row) = if page > pages || total == 0 {
            (0, 0)
        } else {
            ((page - 1) * per_page + 1, (page * per_page).min(total))
        };
        let wanted = |n: i64| n == 1 || n == pages || (n - page).abs() <= WINDOW;
        let mut links = Vec::new();
        let mut last_shown = 0;
        for n in (1..=pages).filter(|n| wanted(*n)) {
            links.push(PageLink {
                number: n,
                href: href(n),
                current: n == page,
                gap_before: n > last_shown + 1,
            });
            last_shown = n;
        }
        Pager {
            total,
            page,
            pages,
            first_row,
            last_row,
            prev: (page > 1).then(|| href((page - 1).min(pages))),
            next: (page < pages).then(|| href(page + 1)),
            links,
        }
    }

    /// Where the page stands, in words: `Mostrando 51–100 de 2.812 registros.`
    pub fn summary(&self) -> String {
        let total = super::view::count(self.total);
        match (self.total, self.first_row) {
            (0, _) => "Nenhum registro.".into(),
            (1, 1) => "1 registro.".into(),
            (_, 0) => format!("Esta página fica além do fim da lista ({total} registros)."),
            _ => format!(
                "Mostrando {}–{} de {total} registros.",
                super::view::count(self.first_row),
                super::view::count(self.last_row)
            ),
        }
    }

    /// Whether there is more than one page (otherwise no bar is shown).
    pub fn has_pages(&self) -> bool {
        self.pages > 1 || self.page > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pager(page: i64, total: i64) -> Pager {
        Pager::new(page, 50, total, |n| format!("?page={n}"))
    }

    fn numbers(p: &Pager) -> Vec<(i64, bool)> {
        p.links.iter().map(|l| (l.number, l.gap_before)).collect()
    }

    #[test]
    fn counts_pages_and_rows() {
        for (page, total, pages, first, last) in [
            (1, 0, 1, 0, 0),
            (1, 1, 1, 1, 1),
            (1, 50, 1, 1, 50),
            (1, 51, 2, 1, 50),
            (2, 51, 2, 51, 51),
            (3, 2812, 57, 101, 150),
            (57, 2812, 57, 2801, 2812),
            (99, 120, 3, 0, 0),
        ] {
            let p = pager(page, total);
            assert_eq!((p.pages, p.first_row, p.last_row), (pages, first, last), "page {page} of {total}");
        }
    }

    #[test]
    fn links_show_ends_and_a_window_around_the_current_page() {
        let p = pager(10, 50 * 20);
        assert_eq!(
            numbers(&p),
            [(1, false), (8, true), (9, false), (10, false), (11, false), (12, false), (20, true)]
        );
        assert!(p.links.iter().find(|l| l.current).is_some_and(|l| l.number == 10));
        assert_eq!(p.prev.as_deref(), Some("?page=9"));
        assert_eq!(p.next.as_deref(), Some("?page=11"));
        let first = pager(1, 50 * 3);
        assert_eq!(numbers(&first), [(1, false), (2, false), (3, false)]);
        assert_eq!((first.prev, first.next.as_deref()), (None, Some("?page=2")));
        let only = pager(1, 10);
        assert!(!only.has_pages());
        assert_eq!(only.next, None);
    }

    #[test]
    fn summary_in_words() {
        assert_eq!(pager(3, 2812).summary(), "Mostrando 101–150 de 2.812 registros.");
        assert_eq!(pager(1, 0).summary(), "Nenhum registro.");
        assert_eq!(pager(1, 1).summary(), "1 registro.");
        assert_eq!(pager(9, 120).summary(), "Esta página fica além do fim da lista (120 registros).");
    }

    #[test]
    fn past_the_end_links_back_to_the_last_page() {
        let p = pager(99, 120);
        assert_eq!(p.prev.as_deref(), Some("?page=3"));
        assert_eq!(p.next, None);
        assert!(p.has_pages());
    }

    #[test]
    fn query_keeps_filters_and_replaces_navigation() {
        let q = ListQuery::parse(Some("lot=3&status=active&q=Belo+Horizonte&page=4&formato=csv&agency="));
        assert_eq!(q.id("lot"), Some(3));
        assert_eq!(q.text("q").as_deref(), Some("Belo Horizonte"));
        assert_eq!(q.text("agency"), None);
        assert_eq!(q.page_number(), 4);
        assert_eq!(q.export(), Some(Format::Csv));
        assert_eq!(q.fetch(), Page::all());
        assert_eq!(q.page_href("/acessos", 5), "/acessos?lot=3&status=active&q=Belo+Horizonte&page=5");
        assert_eq!(q.page_href("/acessos", 1), "/acessos?lot=3&status=active&q=Belo+Horizonte");
        assert_eq!(
            q.export_href("/acessos", "xlsx"),
            "/acessos?lot=3&status=active&q=Belo+Horizonte&formato=xlsx"
        );
        assert!(q.filtered());
    }

    #[test]
    fn query_is_lenient() {
        let q = ListQuery::parse(Some("page=-2&lot=abc&status=bogus"));
        assert_eq!(q.page_number(), 1);
        assert_eq!(q.id("lot"), None);
        assert_eq!(q.code("status", &["active"]), None);
        assert_eq!(q.fetch(), Page { page: 1, page_size: PER_PAGE });
        assert_eq!(ListQuery::parse(None).href("/lotes", &[]), "/lotes");
        assert!(!ListQuery::parse(Some("page=2")).filtered());
    }
}
