//! A detail page printed: [`document`] turns what a page shows — heading,
//! headline numbers, facts, and each section's note, facts and tables —
//! into a `redegov_report::Document`, so a PDF says exactly what the
//! screen says (the dossier of a penalty process, an invoice's comparison).
//! Forms, charts and buttons are the screen's alone and are left out.

use super::details::DetailPage;
use super::view::{Fact, Grid};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use redegov_domain::time::{Timestamp, format_local};
use redegov_report::{Document, DocumentSection, DocumentTable};

fn pairs(facts: &[Fact]) -> Vec<(String, String)> {
    facts.iter().map(|f| (f.label.to_string(), f.value.text.clone())).collect()
}

fn table(grid: &Grid) -> DocumentTable {
    DocumentTable {
        headers: grid.headers.iter().map(|h| h.label.clone()).collect(),
        numeric: grid.headers.iter().map(|h| h.numeric).collect(),
        rows: grid.rows.iter().map(|r| r.iter().map(|c| c.text.clone()).collect()).collect(),
        empty: grid.empty.to_string(),
    }
}

/// The page as a document stamped with `generated_at`; `reference` goes in
/// every page's footer.
pub(super) fn document(page: &DetailPage, generated_at: Timestamp, reference: String) -> Document {
    let mut facts: Vec<(String, String)> =
        page.kpis.iter().map(|k| (k.label.to_string(), format!("{} ({})", k.value, k.note))).collect();
    facts.extend(pairs(&page.facts));
    let mut sections = Vec::new();
    for s in &page.sections {
        let mut grids: Vec<(String, &Grid)> = s.grid.iter().map(|g| (s.title.clone(), g)).collect();
        grids.extend(s.more_grids.iter().map(|(title, g)| (format!("{} — {title}", s.title), g)));
        let paragraphs: Vec<String> = (!s.note.is_empty()).then(|| s.note.clone()).into_iter().collect();
        if grids.is_empty() && s.facts.is_empty() && s.formulas.is_empty() {
            continue;
        }
        let mut first =
            DocumentSection { title: s.title.clone(), paragraphs, facts: pairs(&s.facts), table: None };
        first.facts.extend(s.formulas.iter().map(|(label, text)| (label.to_string(), text.clone())));
        let mut grids = grids.into_iter();
        if let Some((_, g)) = grids.next() {
            first.table = Some(table(g));
        }
        sections.push(first);
        sections.extend(grids.map(|(title, g)| DocumentSection {
            title,
            table: Some(table(g)),
            ..Default::default()
        }));
    }
    Document {
        title: page.heading.clone(),
        subtitle: page.subtitle.clone(),
        generated_at: format_local(generated_at),
        reference,
        facts,
        sections,
    }
}

/// The document as a PDF download named `file_name`; a typesetting failure
/// is logged once and answered with a 500 carrying its request id.
pub(super) fn pdf_download(doc: &Document, file_name: &str) -> Response {
    match redegov_report::document_pdf(doc) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            let id = crate::error::log_internal(&e);
            (StatusCode::INTERNAL_SERVER_ERROR, format!("Erro ao gerar o PDF (código {id}).")).into_response()
        }
    }
}
