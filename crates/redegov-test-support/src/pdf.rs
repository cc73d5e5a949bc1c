//! Reading generated PDFs back as text with poppler's `pdftotext`, for
//! tests that check what a document says (billing reports, dossiers).

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells apart the files of calls running at once in one test process
/// (a test's SQLite and PostgreSQL variants print the same document).
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The PDF's text with all runs of white space made one space, or `None`
/// when `pdftotext` is missing outside CI.
pub fn pdf_text(pdf: &[u8], name: &str) -> Option<String> {
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("redegov-report-{}-{call}-{name}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write the PDF to a temporary file");
    let output = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output();
    let _ = std::fs::remove_file(&path);
    match output {
        Ok(output) => {
            assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
            let text = String::from_utf8(output.stdout).expect("pdftotext -enc UTF-8 writes UTF-8");
            // Cells wrap; compare words, not line breaks.
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("pdftotext not found; CI must install poppler-utils");
            }
            println!("SKIPPED: pdftotext not found");
            None
        }
        Err(error) => panic!("cannot run pdftotext: {error}"),
    }
}
