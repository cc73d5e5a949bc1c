//! Printable documents of redegov, typeset with Typst used as a library.
//!
//! Two documents: the monthly billing report (Relatório Consolidado do
//! Faturamento) as an A4 PDF, [`billing_pdf`], and a generic record
//! ([`Document`]: facts, sections of text and tables) for the dossier of a
//! penalty process and an invoice's comparison, [`document_pdf`]. Every
//! value is formatted in Rust (money with `Money::format_brl`, percentages,
//! month names in pt-BR) and handed to the template as data in a virtual
//! `data.json`; nothing is spliced into Typst source, so no name or reason
//! can break the markup.
//!
//! This crate does no I/O and never touches the network: the template and
//! the fonts are compiled into the binary, and Typst's package downloads are
//! not enabled. It is deliberately not a place for business rules — the
//! [`BillingReport`](redegov_domain::billing::BillingReport) it prints is
//! already complete, totals included.

mod billing;
mod document;
mod typeset;

pub use billing::billing_pdf;
pub use document::{Document, DocumentSection, DocumentTable, document_pdf};

/// Why a document could not be produced. Both carry Typst's diagnostics as
/// text (with the template's line and column where Typst gives a location).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The template did not compile against the data.
    #[error("report template failed to compile: {0}")]
    Template(String),
    /// The laid-out document could not be written as PDF.
    #[error("PDF export failed: {0}")]
    Pdf(String),
}
