//! The one place that drives Typst: compiles a template that reads its data
//! from a virtual `data.json`, exports the pages as PDF and turns Typst's
//! diagnostics into text.
//!
//! The world it builds holds only the template, that one data file and the
//! embedded DejaVu Sans fonts: no file system, no system fonts, no package
//! downloads. It knows nothing of any particular document.

use crate::ReportError;
use std::sync::LazyLock;
use typst::diag::{SourceDiagnostic, Warned};
use typst::foundations::Bytes;
use typst::syntax::DiagSpan;
use typst::text::Font;
use typst::{World, WorldExt};
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// The name under which the data is visible to templates: `json("data.json")`.
pub(crate) const DATA_FILE: &str = "data.json";

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Parsed once per process; a `Font` is a cheap shared handle.
static FONTS: LazyLock<Vec<Font>> =
    LazyLock::new(|| [REGULAR, BOLD].into_iter().flat_map(|data| Font::iter(Bytes::new(data))).collect());

/// Compiles `template` (named `template_name` in diagnostics) with `data` as
/// `data.json` and exports it as PDF. Also returns the warnings Typst raised
/// (an unknown font, say): the tests insist there are none, the callers have
/// nowhere better to put them.
pub(crate) fn pdf(
    template_name: &str,
    template: &str,
    data: Vec<u8>,
) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let engine = TypstEngine::builder()
        .main_file((template_name, template))
        .fonts(FONTS.iter().cloned())
        .with_static_file_resolver([(DATA_FILE, data)])
        .build();
    engine
        .with_world(|world| {
            let Warned { output, warnings } = typst::compile::<PagedDocument>(world);
            let document = output.map_err(|errors| ReportError::Template(describe(world, &errors)))?;
            let pdf = typst_pdf::pdf(&document, &PdfOptions::default())
                .map_err(|errors| ReportError::Pdf(describe(world, &errors)))?;
            let warnings = warnings.iter().map(|w| describe(world, std::slice::from_ref(w))).collect();
            Ok((pdf, warnings))
        })
        .map_err(|error| ReportError::Template(error.to_string()))?
}

/// One line per diagnostic, `file:line:column: message`, hints indented below.
fn describe(world: &dyn World, diagnostics: &[SourceDiagnostic]) -> String {
    let mut text = String::new();
    for diagnostic in diagnostics {
        if !text.is_empty() {
            text.push('\n');
        }
        if let Some(location) = locate(world, diagnostic.span) {
            text.push_str(&location);
            text.push_str(": ");
        }
        text.push_str(&diagnostic.message);
        for hint in &diagnostic.hints {
            text.push_str("\n  hint: ");
            text.push_str(&hint.v);
        }
    }
    text
}

fn locate(world: &dyn World, span: DiagSpan) -> Option<String> {
    let id = span.id()?;
    let path = id.vpath().get_without_slash().to_string();
    let start = world.range(span)?.start;
    // Only Typst sources have lines to point at; for data.json the path is enough.
    match world.source(id).ok().and_then(|source| source.lines().byte_to_line_column(start)) {
        Some((line, column)) => Some(format!("{path}:{}:{}", line + 1, column + 1)),
        None => Some(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fonts_are_dejavu_sans_regular_and_bold() {
        let families: Vec<(String, u16)> =
            FONTS.iter().map(|f| (f.info().family.clone(), f.info().variant.weight.to_number())).collect();
        assert_eq!(families, vec![("DejaVu Sans".to_string(), 400), ("DejaVu Sans".to_string(), 700)]);
    }

    #[test]
    fn template_errors_name_the_line_and_column() {
        let error = pdf("t.typ", "#let d = json(\"data.json\")\nOlá #d.nope", b"{}".to_vec())
            .expect_err("a missing key is an error");
        let ReportError::Template(text) = error else { panic!("expected a template error, got {error:?}") };
        assert!(text.starts_with("t.typ:2:"), "{text}");
        assert!(text.contains("nope"), "{text}");
    }

    #[test]
    fn data_is_data_not_markup() {
        let data = br#"{"v": "R$ 10,00 #panic() $x$ *y* \\ ]"}"#.to_vec();
        let out =
            pdf("t.typ", "#set text(font: \"DejaVu Sans\")\n#json(\"data.json\").v", data).expect("compiles");
        assert!(out.0.starts_with(b"%PDF"));
        assert_eq!(out.1, Vec::<String>::new());
    }
}
