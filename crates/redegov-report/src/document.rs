//! A generic record as PDF: a title, the facts of the record and titled
//! sections of text and tables — the dossier of a penalty process and the
//! comparison of an operator's invoice with the billing report are both
//! printed this way, from exactly the texts the portal shows.
//!
//! The caller formats every value (money, dates, percentages) and says
//! which table columns are numeric (right-aligned); the template
//! `document.typ` only lays text out, and data is never read as markup.

use crate::{ReportError, typeset};
use serde::Serialize;

const TEMPLATE: &str = include_str!("document.typ");

/// A record to print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Document {
    /// "Dossiê do processo de multa PM-2026/0003".
    pub title: String,
    /// One line under the title.
    pub subtitle: String,
    /// Already formatted local time, e.g. "22/11/2026 14:03".
    pub generated_at: String,
    /// The footer's reference, e.g. the process number.
    pub reference: String,
    /// Label and value pairs, printed as a two-column sheet.
    pub facts: Vec<(String, String)>,
    pub sections: Vec<DocumentSection>,
}

/// A titled part of a document: paragraphs, facts, then a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocumentSection {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub facts: Vec<(String, String)>,
    pub table: Option<DocumentTable>,
}

/// A table of text cells; `numeric[i]` right-aligns column `i`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocumentTable {
    pub headers: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// Printed when there are no rows.
    pub empty: String,
}

/// Renders the document as an A4 PDF (landscape when a table is wide).
pub fn document_pdf(document: &Document) -> Result<Vec<u8>, ReportError> {
    Ok(typeset_document(document)?.0)
}

fn typeset_document(document: &Document) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let data = serde_json::to_vec(&Data { wide: wide(document), document })
        .map_err(|error| ReportError::Template(format!("{}: {error}", typeset::DATA_FILE)))?;
    typeset::pdf("document.typ", TEMPLATE, data)
}

/// Tables of more than six columns are printed on landscape pages.
fn wide(document: &Document) -> bool {
    document.sections.iter().filter_map(|s| s.table.as_ref()).any(|t| t.headers.len() > 6)
}

#[derive(Serialize)]
struct Data<'a> {
    wide: bool,
    #[serde(flatten)]
    document: &'a Document,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(columns: usize) -> Document {
        Document {
            title: "Dossiê do processo de multa PM-2026/0001".into(),
            subtitle: "Lote 1 — Em aplicação".into(),
            generated_at: "22/11/2026 14:03".into(),
            reference: "PM-2026/0001".into(),
            facts: vec![("Valor proposto".into(), "R$ 1.234,56".into())],
            sections: vec![
                DocumentSection {
                    title: "Linha do tempo".into(),
                    paragraphs: vec!["Texto com $ e #set e *marcação*".into()],
                    facts: vec![("Defesa".into(), "texto".into())],
                    table: Some(DocumentTable {
                        headers: (0..columns).map(|i| format!("Coluna {i}")).collect(),
                        numeric: (0..columns).map(|i| i % 2 == 0).collect(),
                        rows: vec![(0..columns).map(|i| format!("R$ {i},00")).collect()],
                        empty: "nada".into(),
                    }),
                },
                DocumentSection {
                    title: "Vazia".into(),
                    table: Some(DocumentTable {
                        headers: vec!["A".into()],
                        numeric: vec![false],
                        rows: vec![],
                        empty: "Nenhum documento.".into(),
                    }),
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn the_template_compiles_without_warnings_narrow_and_wide() {
        for columns in [3, 9] {
            let doc = sample(columns);
            assert_eq!(wide(&doc), columns > 6);
            let (pdf, warnings) = typeset_document(&doc).expect("renders");
            assert!(pdf.starts_with(b"%PDF"));
            assert_eq!(warnings, Vec::<String>::new());
        }
    }
}
