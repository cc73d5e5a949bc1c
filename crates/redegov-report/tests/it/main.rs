//! Renders billing reports to PDF and reads them back with `pdftotext`
//! (Debian package poppler-utils): what a manager would file must carry the
//! report's own totals, the consortium's parts, a header on every page and
//! page numbers. Without `pdftotext` the text checks are skipped, except in
//! CI (`CI=true`), where its absence is a failure.

use redegov_domain::Money;
use redegov_domain::billing::{
    AdjustmentLine, BillingLine, BillingReport, DeductionKind, DeductionLine, Party,
};
use redegov_domain::document::Cnpj;
use redegov_report::billing_pdf;
use redegov_test_support::pdf::pdf_text;
use std::time::{Duration, Instant};

const GENERATED_AT: &str = "22/11/2026 14:03";

fn cnpj(base: &str) -> String {
    Cnpj::from_base(base).expect("a valid 12-digit base").masked()
}

fn party(id: i64, name: &str, base: &str) -> Party {
    Party { id, name: name.to_string(), cnpj: cnpj(base) }
}

const MUNICIPALITIES: [&str; 6] = [
    "Belo Horizonte",
    "Juiz de Fora",
    "Montes Claros",
    "Uberlândia",
    "Governador Valadares",
    "São João del-Rei",
];

/// Line `i` of a sample month: every seventh access had downtime and a
/// discount; charges vary so that no two totals coincide by accident.
fn line(i: usize) -> BillingLine {
    let charge = 180_000 + (i as i64 * 7_919) % 250_000;
    let credit = if i % 7 == 3 { charge * (i as i64 % 5 + 1) / 100 } else { 0 };
    let downtime = if credit > 0 { 600 * (i as i64 % 5 + 1) } else { 0 };
    BillingLine {
        access_id: i as i64 + 1,
        designation: format!("MG-L{}-{:05}", i % 3 + 1, 1_000 + i),
        site: format!(
            "Escola Estadual Professor {} — unidade {}",
            ["Pedro", "Maria", "Ana", "José"][i % 4],
            i
        ),
        municipality: MUNICIPALITIES[i % MUNICIPALITIES.len()].to_string(),
        lot: format!("{}", i % 3 + 1),
        service: format!("Perfil {} · {} Mbps", ["I", "II", "III"][i % 3], [10, 20, 50][i % 3]),
        billable_seconds: 2_678_400,
        downtime_seconds: downtime,
        availability_percent: {
            // Ten-thousandths of a percent, truncated: integers only.
            let up = (2_678_400 - downtime) * 1_000_000 / 2_678_400;
            redegov_domain::measure::percent_text(up)
        },
        charge: Money::from_centavos(charge),
        credit: Money::from_centavos(credit),
        net: Money::from_centavos(charge - credit),
    }
}

fn adjustment() -> AdjustmentLine {
    AdjustmentLine {
        id: 1,
        access_id: 5,
        designation: "MG-L2-01004".to_string(),
        refers_to: "2026-09".to_string(),
        reason: "Interrupção de 5 h em 12/09 reconhecida após o fechamento (chamado 4711)".to_string(),
        credit: Money::from_centavos(12_345),
    }
}

/// A fine installment's part, split 60/40 when it was made.
fn deduction() -> DeductionLine {
    DeductionLine {
        kind: DeductionKind::Penalty,
        source_id: 7,
        description: "Multa PM-2026/0003 — parcela 2 de 6".to_string(),
        amount: Money::from_centavos(50_001),
        parts: vec![(3, Money::from_centavos(30_001)), (4, Money::from_centavos(20_000))],
    }
}

/// October 2026 for a two-member consortium (60 % / 40 %) with one
/// adjustment and one fine installment.
fn consortium_report(lines: usize, closed: bool) -> BillingReport {
    BillingReport::build(
        "2026-10".to_string(),
        closed,
        party(1, "Secretaria de Estado de Educação de Minas Gerais", "180000000001"),
        party(2, "Consórcio Rede Minas Conectada", "330000000001"),
        "SEPLAG 123/2015".to_string(),
        (0..lines).map(line).collect(),
        vec![adjustment()],
        vec![deduction()],
        vec![
            (party(3, "Alfa Telecomunicações S.A.", "110000000001"), 6_000),
            (party(4, "Beta Redes e Serviços Ltda.", "220000000001"), 4_000),
        ],
    )
}

/// `N` in "Página 1 de N".
fn page_count(text: &str) -> usize {
    let rest = &text[text.find("Página 1 de ").expect("a page footer") + "Página 1 de ".len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a page count")
}

#[test]
fn a_consortium_month_of_120_lines_prints_totals_parts_and_pages() {
    let report = consortium_report(120, true);
    let started = Instant::now();
    let pdf = billing_pdf(&report, GENERATED_AT).expect("renders");
    let elapsed = started.elapsed();
    println!("120-line report: {} bytes in {elapsed:?}", pdf.len());
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    // Typst lays this out in well under a second even in a debug build;
    // ten seconds means something went badly wrong.
    assert!(elapsed < Duration::from_secs(10), "rendering took {elapsed:?}");

    let Some(text) = pdf_text(&pdf, "consortium") else { return };
    for expected in [
        "Relatório Consolidado do Faturamento",
        "outubro de 2026",
        "Secretaria de Estado de Educação de Minas Gerais",
        report.agency.cnpj.as_str(),
        "Consórcio Rede Minas Conectada",
        report.holder.cnpj.as_str(),
        "SEPLAG 123/2015",
        "Gerado em 22/11/2026 14:03",
        "São João del-Rei",
        "Perfil II · 20 Mbps",
        "setembro de 2026",
        "chamado 4711",
        "Partes dos consorciados",
        "Alfa Telecomunicações S.A.",
        "Beta Redes e Serviços Ltda.",
        report.parts[0].member.cnpj.as_str(),
        "60 %",
        "40 %",
        "Total de multas e contestações",
        "Parcela de multa",
        "PM-2026/0003 — parcela 2 de 6",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    let totals = report.totals;
    for amount in [totals.charge, totals.credit, totals.adjustments, totals.deductions, totals.net] {
        let formatted = amount.format_brl();
        assert!(text.contains(&formatted), "missing total {formatted}");
    }
    for part in &report.parts {
        for amount in [part.charge, part.credit, part.deductions, part.net] {
            assert!(text.contains(&amount.format_brl()), "missing part amount {}", amount.format_brl());
        }
    }
    let availability = report.lines[3].availability_percent.replace('.', ",") + " %";
    assert!(text.contains(&availability), "missing availability {availability}");

    let pages = page_count(&text);
    assert!(pages >= 2, "120 lines fit on {pages} page(s)?");
    assert!(text.contains(&format!("Página {pages} de {pages}")), "no last-page footer");
    // The report header and the table header repeat on every page.
    assert_eq!(text.matches("Relatório Consolidado do Faturamento").count(), pages);
    assert!(text.matches("Designação").count() >= pages, "the table header does not repeat");
    assert!(!text.contains("PRÉVIA"), "a closed month is not a preview");
}

#[test]
fn a_month_not_closed_is_marked_as_a_preview() {
    let pdf = billing_pdf(&consortium_report(3, false), GENERATED_AT).expect("renders");
    assert!(pdf.starts_with(b"%PDF"));
    let Some(text) = pdf_text(&pdf, "preview") else { return };
    assert!(text.contains("PRÉVIA — mês não fechado"), "no preview mark in:\n{text}");
    assert!(text.contains("Página 1 de 1"));
}

#[test]
fn a_single_operator_without_adjustments_has_neither_section_and_text_stays_text() {
    let mut odd = line(0);
    // Characters that mean something in Typst markup arrive as plain text.
    odd.site = "Escola *Estadual* #1 [anexo] $2 R$ 5 \\ _x_ <a> @b".to_string();
    let report = BillingReport::build(
        "2026-02".to_string(),
        true,
        party(1, "Prefeitura de Ouro Preto", "180000000002"),
        party(2, "Operadora Única S.A.", "330000000002"),
        "7/2026".to_string(),
        vec![odd.clone(), line(1)],
        vec![],
        vec![],
        vec![],
    );
    let pdf = billing_pdf(&report, GENERATED_AT).expect("renders");
    let Some(text) = pdf_text(&pdf, "operator") else { return };
    assert!(text.contains("fevereiro de 2026"));
    assert!(text.contains(&odd.site), "site text changed in:\n{text}");
    assert!(text.contains(&report.totals.net.format_brl()));
    assert!(!text.contains("Partes dos consorciados"));
    assert!(!text.contains("Ajustes de meses fechados"));
    assert!(!text.contains("Total de multas e contestações"), "no deductions, no section");
}
