//! Writes a sample billing report to a PDF, to look at the layout:
//!
//! ```text
//! cargo run -p redegov-report --example render_billing -- /tmp/faturamento.pdf [LINES] [--preview]
//! ```
//!
//! The data is invented: a consortium of two members (60 % / 40 %), LINES
//! accesses (default 120), one adjustment of a closed month.

use redegov_domain::Money;
use redegov_domain::billing::{AdjustmentLine, BillingLine, BillingReport, Party};
use redegov_domain::document::Cnpj;
use std::process::ExitCode;

/// `base`: the first 12 digits of an invented CNPJ; the check digits are computed.
fn party(id: i64, name: &str, base: &str) -> Party {
    let cnpj = Cnpj::from_base(base).map(|c| c.masked()).unwrap_or_default();
    Party { id, name: name.to_string(), cnpj }
}

fn line(i: usize) -> BillingLine {
    let charge = 180_000 + (i as i64 * 7_919) % 250_000;
    let credit = if i % 7 == 3 { charge * (i as i64 % 5 + 1) / 100 } else { 0 };
    let downtime = if credit > 0 { 600 * (i as i64 % 5 + 1) } else { 0 };
    let up = (2_678_400 - downtime) * 1_000_000 / 2_678_400;
    BillingLine {
        access_id: i as i64 + 1,
        designation: format!("MG-L{}-{:05}", i % 3 + 1, 1_000 + i),
        site: format!("Escola Estadual Professor {} — unidade {i}", ["Pedro", "Maria", "Ana", "José"][i % 4]),
        municipality: ["Belo Horizonte", "Juiz de Fora", "Montes Claros", "Uberlândia", "São João del-Rei"]
            [i % 5]
            .to_string(),
        lot: format!("{}", i % 3 + 1),
        service: format!("Perfil {} · {} Mbps", ["I", "II", "III"][i % 3], [10, 20, 50][i % 3]),
        billable_seconds: 2_678_400,
        downtime_seconds: downtime,
        availability_percent: redegov_domain::measure::percent_text(up),
        charge: Money::from_centavos(charge),
        credit: Money::from_centavos(credit),
        net: Money::from_centavos(charge - credit),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first().filter(|a| !a.starts_with("--")) else {
        eprintln!("usage: render_billing OUTPUT.pdf [LINES] [--preview]");
        return ExitCode::from(2);
    };
    let lines = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(120);
    let preview = args.iter().any(|a| a == "--preview");
    let report = BillingReport::build(
        "2026-10".to_string(),
        !preview,
        party(1, "Secretaria de Estado de Educação de Minas Gerais", "180000000001"),
        party(2, "Consórcio Rede Minas Conectada", "330000000001"),
        "SEPLAG 123/2015".to_string(),
        (0..lines).map(line).collect(),
        vec![AdjustmentLine {
            id: 1,
            access_id: 5,
            designation: "MG-L2-01004".to_string(),
            refers_to: "2026-09".to_string(),
            reason: "Interrupção de 5 h em 12/09 reconhecida após o fechamento (chamado 4711)".to_string(),
            credit: Money::from_centavos(12_345),
        }],
        vec![],
        vec![
            (party(3, "Alfa Telecomunicações S.A.", "110000000001"), 6_000),
            (party(4, "Beta Redes e Serviços Ltda.", "220000000001"), 4_000),
        ],
    );
    let started = std::time::Instant::now();
    let pdf = match redegov_report::billing_pdf(&report, "22/11/2026 14:03") {
        Ok(pdf) => pdf,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let elapsed = started.elapsed();
    if let Err(error) = std::fs::write(path, &pdf) {
        eprintln!("cannot write {path}: {error}");
        return ExitCode::FAILURE;
    }
    println!("{path}: {} lines, {} bytes, rendered in {elapsed:?}", report.lines.len(), pdf.len());
    ExitCode::SUCCESS
}
