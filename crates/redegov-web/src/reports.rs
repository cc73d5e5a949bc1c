//! Renderings of the billing report for download: CSV, XLSX and PDF, each
//! printing the one [`BillingReport`] the app built (lines, adjustment
//! lines, totals, consortium parts), and the HTTP response that carries the
//! file with a pt-BR file name. The API and the portal both serve these.
//!
//! Nothing here computes money: every amount printed is one of the report's
//! own, so the totals row of a spreadsheet is `report.totals` and the column
//! sums of the lines and adjustment rows equal it to the centavo. The PDF
//! layout itself belongs to `redegov-report`.

use crate::export::{Cell, Table};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use redegov_domain::billing::{BillingReport, DeductionKind};
use redegov_domain::money::{Money, format_percent_bp};
use redegov_domain::time::{Timestamp, format_local};

/// The downloadable formats of a billing report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl BillingFormat {
    /// `csv`, `xlsx` or `pdf`.
    pub fn parse(text: &str) -> Option<BillingFormat> {
        match text.trim() {
            "csv" => Some(BillingFormat::Csv),
            "xlsx" => Some(BillingFormat::Xlsx),
            "pdf" => Some(BillingFormat::Pdf),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            BillingFormat::Csv => "csv",
            BillingFormat::Xlsx => "xlsx",
            BillingFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            BillingFormat::Csv => "text/csv; charset=utf-8",
            BillingFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            BillingFormat::Pdf => "application/pdf",
        }
    }
}

/// The columns of the spreadsheet renderings.
const HEADERS: [&str; 15] = [
    "Tipo",
    "Acesso",
    "Designação",
    "Unidade",
    "Município",
    "Lote",
    "Serviço",
    "Disponibilidade (%)",
    "Indisponibilidade (s)",
    "Valor faturado",
    "Desconto",
    "Ajuste",
    "Multas e contestações",
    "Valor líquido",
    "Observação",
];

/// `"99.8656"` → `"99,8656"` (the decimal comma of pt-BR spreadsheets).
fn percent_pt(text: &str) -> String {
    text.replace('.', ",")
}

fn blank() -> Cell {
    Cell::Text(String::new())
}

/// The report as one table: a row per access (`acesso`), a row per
/// adjustment (`ajuste`, its credit in the `Ajuste` column and subtracted
/// from `Valor líquido`), a row per fine installment or upheld dispute
/// (`multa`, `contestacao`, in `Multas e contestações`), the totals row
/// (`total`, equal to `report.totals`) and, for a consortium, a row per
/// member's part (`parte`; its discount includes the adjustments, as in
/// the PDF).
pub fn billing_table(report: &BillingReport) -> Table {
    let title = format!("Faturamento {}", report.month);
    let mut t = Table::new(&title, &HEADERS);
    for l in &report.lines {
        t.push(vec![
            "acesso".into(),
            Cell::Int(l.access_id),
            l.designation.as_str().into(),
            l.site.as_str().into(),
            l.municipality.as_str().into(),
            l.lot.as_str().into(),
            l.service.as_str().into(),
            percent_pt(&l.availability_percent).into(),
            Cell::Int(l.downtime_seconds),
            l.charge.into(),
            l.credit.into(),
            Money::ZERO.into(),
            Money::ZERO.into(),
            l.net.into(),
            blank(),
        ]);
    }
    for a in &report.adjustments {
        t.push(vec![
            "ajuste".into(),
            Cell::Int(a.access_id),
            a.designation.as_str().into(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            Money::ZERO.into(),
            Money::ZERO.into(),
            a.credit.into(),
            Money::ZERO.into(),
            (-a.credit).into(),
            format!("ajuste #{} referente a {}: {}", a.id, a.refers_to, a.reason).into(),
        ]);
    }
    for d in &report.deductions {
        t.push(vec![
            match d.kind {
                DeductionKind::Penalty => "multa",
                DeductionKind::Dispute => "contestacao",
            }
            .into(),
            blank(),
            d.kind.label().into(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            Money::ZERO.into(),
            Money::ZERO.into(),
            Money::ZERO.into(),
            d.amount.into(),
            (-d.amount).into(),
            d.description.as_str().into(),
        ]);
    }
    let totals = &report.totals;
    let status = if report.closed { "mês fechado" } else { "prévia: mês não fechado" };
    t.push(vec![
        "total".into(),
        blank(),
        match report.lines.len() {
            1 => "1 acesso".to_string(),
            n => format!("{n} acessos"),
        }
        .into(),
        report.agency.name.as_str().into(),
        blank(),
        blank(),
        report.holder.name.as_str().into(),
        blank(),
        blank(),
        totals.charge.into(),
        totals.credit.into(),
        totals.adjustments.into(),
        totals.deductions.into(),
        totals.net.into(),
        format!("contrato {}, {status}", report.contract).into(),
    ]);
    for p in &report.parts {
        t.push(vec![
            "parte".into(),
            blank(),
            p.member.name.as_str().into(),
            p.member.cnpj.as_str().into(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            p.charge.into(),
            p.credit.into(),
            blank(),
            p.deductions.into(),
            p.net.into(),
            format!(
                "cota de {} no consórcio, desconto inclui ajustes",
                format_percent_bp(p.share_basis_points)
            )
            .into(),
        ]);
    }
    t
}

/// CSV: `;`-separated, UTF-8 with BOM, money as `1234,56`.
pub fn billing_csv(report: &BillingReport) -> Vec<u8> {
    billing_table(report).to_csv()
}

/// XLSX: one sheet, money as numbers formatted `R$`.
pub fn billing_xlsx(report: &BillingReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    billing_table(report).to_xlsx()
}

/// PDF, A4, pt-BR, stamped with `generated_at` in the network's time zone.
pub fn billing_pdf(
    report: &BillingReport,
    generated_at: Timestamp,
) -> Result<Vec<u8>, redegov_report::ReportError> {
    redegov_report::billing_pdf(report, &format_local(generated_at))
}

/// Lowercase ASCII letters and digits joined by `-`, at most `max` chars.
fn slug(text: &str, max: usize) -> String {
    let folded = redegov_domain::text::fold(text);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut cut: String = out.chars().take(max).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    cut
}

/// `faturamento-2026-10-orgao-a-alfa.pdf`: month, agency and holder, in
/// ASCII so every browser keeps it (an empty slug falls back to the id).
pub fn billing_file_name(report: &BillingReport, format: BillingFormat) -> String {
    let part = |name: &str, kind: &str, id: i64| {
        let s = slug(name, 40);
        if s.is_empty() { format!("{kind}-{id}") } else { s }
    };
    format!(
        "faturamento-{}-{}-{}.{}",
        report.month,
        part(&report.agency.name, "orgao", report.agency.id),
        part(&report.holder.name, "contratada", report.holder.id),
        format.extension()
    )
}

/// The report as a file download. A rendering failure is logged once and
/// answered with a 500 carrying its request id.
pub fn billing_download(report: &BillingReport, format: BillingFormat, generated_at: Timestamp) -> Response {
    let bytes = match format {
        BillingFormat::Csv => Ok(billing_csv(report)),
        BillingFormat::Xlsx => billing_xlsx(report).map_err(|e| e.to_string()),
        BillingFormat::Pdf => billing_pdf(report, generated_at).map_err(|e| e.to_string()),
    };
    match bytes {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, format.content_type().to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", billing_file_name(report, format)),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            let id = crate::error::log_internal(&e);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Erro ao gerar o relatório de faturamento (código {id})."),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::billing::{AdjustmentLine, BillingLine, DeductionLine, Party};

    fn party(id: i64, name: &str) -> Party {
        Party { id, name: name.into(), cnpj: String::new() }
    }

    fn report() -> BillingReport {
        let line = |id: i64, charge: i64, credit: i64| BillingLine {
            access_id: id,
            designation: format!("AC-{id:06}"),
            site: "Sede".into(),
            municipality: "Belo Horizonte".into(),
            lot: "6A".into(),
            service: "Perfil III · 10 Mbps".into(),
            billable_seconds: 2_678_400,
            downtime_seconds: 3600,
            availability_percent: "99.8656".into(),
            charge: Money::from_centavos(charge),
            credit: Money::from_centavos(credit),
            net: Money::from_centavos(charge - credit),
        };
        let adj = AdjustmentLine {
            id: 9,
            access_id: 1,
            designation: "AC-000001".into(),
            refers_to: "2026-09".into(),
            reason: "chamado reclassificado".into(),
            credit: Money::from_centavos(501),
        };
        BillingReport::build(
            "2026-10".into(),
            true,
            party(3, "Órgão Ç"),
            party(1, "Consórcio Alfa/Beta"),
            "12/2026".into(),
            vec![line(1, 100_000, 1_075), line(2, 67_742, 134)],
            vec![adj],
            vec![DeductionLine {
                kind: DeductionKind::Penalty,
                source_id: 4,
                description: "Multa PM-2026/0001 — parcela 1 de 3".into(),
                amount: Money::from_centavos(3_333),
                parts: vec![],
            }],
            vec![(party(5, "Alfa"), 6_000), (party(6, "Beta"), 4_000)],
        )
    }

    fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).expect("utf8");
        let text = text.strip_prefix('\u{feff}').expect("BOM");
        text.lines().map(|l| l.split(';').map(str::to_string).collect()).collect()
    }

    fn centavos(text: &str) -> i64 {
        let negative = text.starts_with('-');
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let v: i64 = digits.parse().expect("amount");
        if negative { -v } else { v }
    }

    #[test]
    fn csv_columns_sum_to_the_totals_row() {
        let r = report();
        let rows = csv_rows(&billing_csv(&r));
        assert_eq!(rows[0][0], "Tipo");
        let kinds: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(kinds, vec!["acesso", "acesso", "ajuste", "multa", "total", "parte", "parte"]);
        assert_eq!(rows[1][7], "99,8656");
        let total = rows.iter().find(|r| r[0] == "total").expect("totals row");
        for (col, expected) in [
            (9, r.totals.charge),
            (10, r.totals.credit),
            (11, r.totals.adjustments),
            (12, r.totals.deductions),
            (13, r.totals.net),
        ] {
            assert_eq!(centavos(&total[col]), expected.centavos(), "column {}", HEADERS[col]);
            let sum: i64 = rows
                .iter()
                .filter(|r| matches!(r[0].as_str(), "acesso" | "ajuste" | "multa"))
                .map(|r| centavos(&r[col]))
                .sum();
            assert_eq!(sum, expected.centavos(), "rows of column {} add up", HEADERS[col]);
        }
        for col in [12, 13] {
            let parts: i64 = rows.iter().filter(|r| r[0] == "parte").map(|r| centavos(&r[col])).sum();
            let whole = if col == 12 { r.totals.deductions } else { r.totals.net };
            assert_eq!(parts, whole.centavos(), "the parts of column {} add up", HEADERS[col]);
        }
    }

    #[test]
    fn files_are_named_in_ascii() {
        let r = report();
        assert_eq!(
            billing_file_name(&r, BillingFormat::Pdf),
            "faturamento-2026-10-orgao-c-consorcio-alfa-beta.pdf"
        );
        let mut odd = r.clone();
        odd.agency.name = "***".into();
        assert_eq!(
            billing_file_name(&odd, BillingFormat::Csv),
            "faturamento-2026-10-orgao-3-consorcio-alfa-beta.csv"
        );
    }

    #[test]
    fn xlsx_is_a_zip() {
        let bytes = billing_xlsx(&report()).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK");
    }
}
