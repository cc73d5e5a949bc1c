//! The monthly billing report (Relatório Consolidado do Faturamento) as PDF.
//!
//! [`billing_pdf`] turns a [`BillingReport`] into the data the template
//! `billing.typ` prints: every amount, percentage and month already written
//! the Brazilian way, so the template only lays text out. The totals printed
//! are the report's own; the only sums made here are the subtotals of printed
//! columns, which a reader checks with a calculator anyway.

use crate::{ReportError, typeset};
use redegov_domain::Money;
use redegov_domain::billing::{AdjustmentLine, BillingLine, BillingReport, MemberPart, Party};
use redegov_domain::money::format_percent_bp;
use serde::Serialize;

const TEMPLATE: &str = include_str!("billing.typ");

/// Renders the report as an A4 PDF. `generated_at` is already formatted local time, e.g. "22/11/2026 14:03".
pub fn billing_pdf(report: &BillingReport, generated_at: &str) -> Result<Vec<u8>, ReportError> {
    let (pdf, _warnings) = typeset_billing(report, generated_at)?;
    Ok(pdf)
}

fn typeset_billing(
    report: &BillingReport,
    generated_at: &str,
) -> Result<(Vec<u8>, Vec<String>), ReportError> {
    let data = serde_json::to_vec(&Data::of(report, generated_at))
        .map_err(|error| ReportError::Template(format!("{}: {error}", typeset::DATA_FILE)))?;
    typeset::pdf("billing.typ", TEMPLATE, data)
}

/// What `billing.typ` reads from `data.json`. Text only, already formatted.
#[derive(Serialize)]
struct Data<'a> {
    /// "outubro de 2026".
    month: String,
    /// The month is not closed: every page says so.
    preview: bool,
    generated_at: &'a str,
    agency: PartyData<'a>,
    holder: PartyData<'a>,
    contract: &'a str,
    lines: Vec<LineData<'a>>,
    /// "120 acessos".
    line_count: String,
    /// Sums of the charge, discount and net columns of `lines`.
    lines_total: Amounts,
    adjustments: Vec<AdjustmentData<'a>>,
    deductions: Vec<DeductionData<'a>>,
    totals: TotalsData,
    parts: Vec<PartData<'a>>,
    /// Sums of the columns of `parts`.
    parts_total: PartsTotal,
}

#[derive(Serialize)]
struct PartyData<'a> {
    name: &'a str,
    cnpj: &'a str,
}

#[derive(Serialize)]
struct LineData<'a> {
    designation: &'a str,
    site: &'a str,
    municipality: &'a str,
    lot: &'a str,
    service: &'a str,
    availability: String,
    charge: String,
    credit: String,
    net: String,
}

#[derive(Serialize)]
struct Amounts {
    charge: String,
    credit: String,
    net: String,
}

#[derive(Serialize)]
struct AdjustmentData<'a> {
    designation: &'a str,
    refers_to: String,
    reason: &'a str,
    credit: String,
}

#[derive(Serialize)]
struct DeductionData<'a> {
    /// "Parcela de multa", "Contestação procedente".
    kind: &'static str,
    description: &'a str,
    amount: String,
}

#[derive(Serialize)]
struct TotalsData {
    charge: String,
    credit: String,
    adjustments: String,
    deductions: String,
    net: String,
}

#[derive(Serialize)]
struct PartData<'a> {
    name: &'a str,
    cnpj: &'a str,
    share: String,
    charge: String,
    credit: String,
    deductions: String,
    net: String,
}

#[derive(Serialize)]
struct PartsTotal {
    share: String,
    charge: String,
    credit: String,
    deductions: String,
    net: String,
}

impl<'a> Data<'a> {
    fn of(report: &'a BillingReport, generated_at: &'a str) -> Data<'a> {
        let sum = |f: fn(&BillingLine) -> Money| report.lines.iter().map(f).sum::<Money>().format_brl();
        let part_sum = |f: fn(&MemberPart) -> Money| report.parts.iter().map(f).sum::<Money>().format_brl();
        let count = report.lines.len();
        Data {
            month: month_name(&report.month),
            preview: !report.closed,
            generated_at,
            agency: PartyData::of(&report.agency),
            holder: PartyData::of(&report.holder),
            contract: &report.contract,
            lines: report.lines.iter().map(LineData::of).collect(),
            line_count: format!("{count} {}", if count == 1 { "acesso" } else { "acessos" }),
            lines_total: Amounts {
                charge: sum(|l| l.charge),
                credit: sum(|l| l.credit),
                net: sum(|l| l.net),
            },
            adjustments: report.adjustments.iter().map(AdjustmentData::of).collect(),
            deductions: report
                .deductions
                .iter()
                .map(|d| DeductionData {
                    kind: d.kind.label(),
                    description: &d.description,
                    amount: d.amount.format_brl(),
                })
                .collect(),
            totals: TotalsData {
                charge: report.totals.charge.format_brl(),
                credit: report.totals.credit.format_brl(),
                adjustments: report.totals.adjustments.format_brl(),
                deductions: report.totals.deductions.format_brl(),
                net: report.totals.net.format_brl(),
            },
            parts: report.parts.iter().map(PartData::of).collect(),
            parts_total: PartsTotal {
                share: format_percent_bp(report.parts.iter().map(|p| p.share_basis_points).sum()),
                charge: part_sum(|p| p.charge),
                credit: part_sum(|p| p.credit),
                deductions: part_sum(|p| p.deductions),
                net: part_sum(|p| p.net),
            },
        }
    }
}

impl<'a> PartyData<'a> {
    fn of(party: &'a Party) -> PartyData<'a> {
        PartyData { name: &party.name, cnpj: &party.cnpj }
    }
}

impl<'a> LineData<'a> {
    fn of(line: &'a BillingLine) -> LineData<'a> {
        LineData {
            designation: &line.designation,
            site: &line.site,
            municipality: &line.municipality,
            lot: &line.lot,
            service: &line.service,
            availability: availability(&line.availability_percent),
            charge: line.charge.format_brl(),
            credit: line.credit.format_brl(),
            net: line.net.format_brl(),
        }
    }
}

impl<'a> AdjustmentData<'a> {
    fn of(adjustment: &'a AdjustmentLine) -> AdjustmentData<'a> {
        AdjustmentData {
            designation: &adjustment.designation,
            refers_to: month_name(&adjustment.refers_to),
            reason: &adjustment.reason,
            credit: adjustment.credit.format_brl(),
        }
    }
}

impl<'a> PartData<'a> {
    fn of(part: &'a MemberPart) -> PartData<'a> {
        PartData {
            name: &part.member.name,
            cnpj: &part.member.cnpj,
            share: format_percent_bp(part.share_basis_points),
            charge: part.charge.format_brl(),
            credit: part.credit.format_brl(),
            deductions: part.deductions.format_brl(),
            net: part.net.format_brl(),
        }
    }
}

const MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// `2026-10` → `outubro de 2026`. Anything else is printed as given rather
/// than refused: a report with an odd label is better than no report.
fn month_name(year_month: &str) -> String {
    let named = year_month.split_once('-').and_then(|(year, month)| {
        let valid_year = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit());
        let index = month.parse::<usize>().ok().filter(|m| month.len() == 2 && (1..=12).contains(m))?;
        valid_year.then(|| format!("{} de {year}", MONTHS[index - 1]))
    });
    named.unwrap_or_else(|| year_month.to_string())
}

/// `99.8656` → `99,8656 %` (the domain writes a decimal point).
fn availability(percent: &str) -> String {
    format!("{} %", percent.replace('.', ","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_named_in_portuguese() {
        let cases = [
            ("2026-10", "outubro de 2026"),
            ("2026-01", "janeiro de 2026"),
            ("2027-03", "março de 2027"),
            ("2026-12", "dezembro de 2026"),
            ("2026-13", "2026-13"),
            ("2026-00", "2026-00"),
            ("2026-1", "2026-1"),
            ("26-10", "26-10"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(month_name(input), expected, "{input:?}");
        }
    }

    #[test]
    fn the_template_compiles_without_warnings() {
        let party = |id| Party { id, name: format!("Parte {id}"), cnpj: "00.000.000/0001-91".into() };
        let line = BillingLine {
            access_id: 1,
            designation: "MG-1".into(),
            site: "Escola".into(),
            municipality: "Ouro Preto".into(),
            lot: "1".into(),
            service: "Perfil I".into(),
            billable_seconds: 1,
            downtime_seconds: 0,
            availability_percent: "100.0000".into(),
            charge: Money::from_centavos(100),
            credit: Money::ZERO,
            net: Money::from_centavos(100),
        };
        let adjustment = AdjustmentLine {
            id: 1,
            access_id: 1,
            designation: "MG-1".into(),
            refers_to: "2026-09".into(),
            reason: "r".into(),
            credit: Money::from_centavos(1),
        };
        let report = BillingReport::build(
            "2026-10".into(),
            false,
            party(1),
            party(2),
            "1/2026".into(),
            vec![line],
            vec![adjustment],
            vec![],
            vec![(party(3), 5_000), (party(4), 5_000)],
        );
        let (pdf, warnings) = typeset_billing(&report, "22/11/2026 14:03").expect("renders");
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(warnings, Vec::<String>::new());
    }

    #[test]
    fn availability_uses_a_decimal_comma() {
        assert_eq!(availability("99.8656"), "99,8656 %");
        assert_eq!(availability("100.0000"), "100,0000 %");
    }
}
