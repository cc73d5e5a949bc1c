//! Operators' invoices (faturas), their reconciliation with the billing
//! report, and disputes (contestação / glosa), DOMAIN §6.
//!
//! Three pure parts: reading an invoice's lines (the documented CSV layout,
//! `docs/invoices.md`, and the same fields as given through the API), each
//! problem named by line, column and rule; [`reconcile`], which compares
//! the lines with the closed month's [`BillingReport`] access by access and
//! flags every difference with the amount expected and the amount invoiced;
//! and the dispute life cycle (opened → answered → upheld | rejected) with
//! the checks of a dispute's contested lines.
//!
//! No I/O and no clock: whether an access exists, belongs to the agency or
//! is already contested is the app's to load and pass in.

use crate::billing::{BillingReport, DeductionKind};
use crate::error::{FieldError, Rule, Valid};
use crate::ids::{AccessId, ConsortiumId, OperatorId};
use crate::inventory::LotHolder;
use crate::money::Money;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The columns of the CSV layout, in order.
pub const CSV_HEADER: [&str; 5] = ["tipo", "acesso", "referencia", "descricao", "valor"];

/// Stop collecting problems after this many: the file needs fixing anyway.
pub const MAX_PROBLEMS: usize = 200;

/// A lot holder as a code: `operator-12`, `consortium-3` (the API's path
/// and filter form, and how invoices store it).
pub fn holder_code(holder: LotHolder) -> String {
    match holder {
        LotHolder::Operator(o) => format!("operator-{o}"),
        LotHolder::Consortium(c) => format!("consortium-{c}"),
    }
}

/// Reads [`holder_code`]'s form.
pub fn parse_holder(field: &str, text: &str) -> Valid<LotHolder> {
    let bad = || FieldError::new(field, Rule::Malformed("operator-<id> ou consortium-<id>"));
    let (kind, id) = text.trim().split_once('-').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    match kind {
        "operator" => Ok(LotHolder::Operator(OperatorId(id))),
        "consortium" => Ok(LotHolder::Consortium(ConsortiumId(id))),
        _ => Err(bad()),
    }
}

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Uploaded and reconciled, awaiting the agency.
    Received,
    /// Approved for payment by the agency (or the contract manager).
    Approved,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 2] = [InvoiceStatus::Received, InvoiceStatus::Approved];
    const CODES: &'static [&'static str] = &["received", "approved"];

    pub fn code(self) -> &'static str {
        match self {
            InvoiceStatus::Received => "received",
            InvoiceStatus::Approved => "approved",
        }
    }

    pub fn parse(field: &str, text: &str) -> Valid<InvoiceStatus> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == text.trim())
            .ok_or_else(|| FieldError::new(field, Rule::OneOf(Self::CODES)))
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Received => "Recebida",
            InvoiceStatus::Approved => "Aprovada para pagamento",
        }
    }

    /// Approval, once: the status after it, or the rule it breaks.
    pub fn approve(self) -> Valid<InvoiceStatus> {
        match self {
            InvoiceStatus::Received => Ok(InvoiceStatus::Approved),
            InvoiceStatus::Approved => Err(FieldError::new(
                "status",
                Rule::ActionNotAllowed { action: "approve", status: self.code() },
            )),
        }
    }
}

/// What a line of an invoice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKind {
    /// The monthly charge of an access (`servico`).
    Service,
    /// A discount (credit) granted, for downtime or otherwise (`desconto`).
    Discount,
    /// A fine's installment discounted from the invoice (`multa`).
    Penalty,
    /// Anything else billed (`outro`).
    Other,
}

impl LineKind {
    pub const ALL: [LineKind; 4] =
        [LineKind::Service, LineKind::Discount, LineKind::Penalty, LineKind::Other];
    const CODES: &'static [&'static str] = &["servico", "desconto", "multa", "outro"];

    /// The code of the layout and the API.
    pub fn code(self) -> &'static str {
        match self {
            LineKind::Service => "servico",
            LineKind::Discount => "desconto",
            LineKind::Penalty => "multa",
            LineKind::Other => "outro",
        }
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            LineKind::Service => "Serviço",
            LineKind::Discount => "Desconto",
            LineKind::Penalty => "Multa",
            LineKind::Other => "Outro",
        }
    }

    /// Reads a code, ignoring case and accents (`Serviço` is `servico`).
    pub fn parse(field: &str, text: &str) -> Valid<LineKind> {
        let folded = crate::text::fold(text);
        if folded.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        Self::ALL
            .into_iter()
            .find(|k| k.code() == folded)
            .ok_or_else(|| FieldError::new(field, Rule::OneOf(Self::CODES)))
    }

    /// Whether the line lowers the invoice's total (its amount is a credit).
    pub fn is_credit(self) -> bool {
        matches!(self, LineKind::Discount | LineKind::Penalty)
    }
}

/// One problem of an invoice's lines: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based: the file's line (the header is line 1), or the position in
    /// the API's `lines`.
    pub line: usize,
    pub column: String,
    pub rule: Rule,
}

impl LineProblem {
    pub fn new(line: usize, column: &str, rule: Rule) -> LineProblem {
        LineProblem { line, column: column.to_string(), rule }
    }
}

/// A checked invoice line, not yet matched against the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// 1-based position of the line in the invoice (the CSV's file line
    /// for an upload, so a flag points at what the operator sent).
    pub line_no: i64,
    pub kind: LineKind,
    pub access_id: Option<AccessId>,
    /// The operator's own reference (circuit, contract item).
    pub reference: String,
    pub description: String,
    /// Never negative: a discount's or a fine's amount is what it takes
    /// off the total.
    pub amount: Money,
}

/// The names of the columns a line's fields came from (the CSV's or the
/// API's), so a problem names what the sender wrote.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    pub kind: &'static str,
    pub access: &'static str,
    pub amount: &'static str,
}

/// The CSV layout's column names.
pub const CSV_COLUMNS: Columns = Columns { kind: "tipo", access: "acesso", amount: "valor" };

/// The API's field names.
pub const API_COLUMNS: Columns = Columns { kind: "kind", access: "access", amount: "amount_centavos" };

/// An access by its number (`123`) or its designation on reports
/// (`AC-000123`); blank is `None`.
pub fn parse_access(field: &str, text: &str) -> Valid<Option<AccessId>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let number = match text.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case("AC-") => &text[3..],
        _ => text,
    };
    match number.parse::<i64>() {
        Ok(id) if id > 0 => Ok(Some(AccessId(id))),
        _ => Err(FieldError::new(field, Rule::Malformed("número do acesso ou designação AC-000123"))),
    }
}

/// Checks one line's fields: the kind, the access (required on a service
/// line), the amount (negative only on a discount, which is then read as
/// its absolute value). Every problem of the line is returned.
pub fn check_line(
    line_no: usize,
    columns: Columns,
    kind: &str,
    access: &str,
    reference: &str,
    description: &str,
    amount: Valid<Money>,
) -> Result<InvoiceLine, Vec<LineProblem>> {
    let mut problems = Vec::new();
    let mut fail =
        |e: FieldError| problems.push(LineProblem { line: line_no, column: e.field, rule: e.rule });
    let kind = LineKind::parse(columns.kind, kind).map_err(&mut fail).ok();
    let access_id = parse_access(columns.access, access).map_err(&mut fail).ok().flatten();
    if kind == Some(LineKind::Service) && access.trim().is_empty() {
        fail(FieldError::new(columns.access, Rule::Required));
    }
    let amount = match amount {
        Ok(a) if a < Money::ZERO && kind == Some(LineKind::Discount) => Some(-a),
        Ok(a) if a < Money::ZERO => {
            fail(FieldError::new(
                columns.amount,
                Rule::Malformed("valor não negativo (negativo só em linha de desconto)"),
            ));
            None
        }
        Ok(a) => Some(a),
        Err(e) => {
            fail(FieldError::new(columns.amount, e.rule));
            None
        }
    };
    match (kind, amount) {
        (Some(kind), Some(amount)) if problems.is_empty() => Ok(InvoiceLine {
            line_no: line_no as i64,
            kind,
            access_id,
            reference: reference.trim().to_string(),
            description: description.trim().to_string(),
            amount,
        }),
        _ => Err(problems),
    }
}

/// Splits one CSV line on `delimiter`, with `"…"` quoting (`""` is a quote
/// inside a quoted field). A quoted field must close on the same line.
fn split_record(line: &str, delimiter: char) -> Option<Vec<String>> {
    let mut fields = Vec::with_capacity(CSV_HEADER.len());
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == delimiter {
            fields.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            if !c.is_whitespace() {
                at_start = false;
            }
        }
    }
    if quoted {
        return None;
    }
    fields.push(field);
    Some(fields)
}

/// Reads an invoice's lines from the CSV layout of `docs/invoices.md`:
/// header `tipo;acesso;referencia;descricao;valor` (any case, accents
/// allowed), `;`-separated (`,` when the header has no `;`), an optional
/// UTF-8 BOM, blank lines ignored, `valor` as `1.234,56` or `1234.56`.
/// All lines or none: every problem is returned (up to [`MAX_PROBLEMS`]),
/// each with its file line, column and rule.
pub fn parse_csv(text: &str) -> Result<Vec<InvoiceLine>, Vec<LineProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).enumerate();
    let Some((_, header)) = lines.by_ref().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(vec![LineProblem::new(1, "tipo", Rule::Required)]);
    };
    let delimiter = if header.contains(';') || !header.contains(',') { ';' } else { ',' };
    let expected = || Rule::Malformed("cabeçalho tipo;acesso;referencia;descricao;valor");
    let Some(names) = split_record(header, delimiter) else {
        return Err(vec![LineProblem::new(1, "-", expected())]);
    };
    let names: Vec<String> = names.iter().map(|n| crate::text::fold(n)).collect();
    let mut problems: Vec<LineProblem> = CSV_HEADER
        .iter()
        .enumerate()
        .filter(|(i, want)| names.get(*i).map(String::as_str) != Some(**want))
        .map(|(_, want)| LineProblem::new(1, want, expected()))
        .collect();
    if names.len() > CSV_HEADER.len() {
        problems.push(LineProblem::new(1, &names[CSV_HEADER.len()], expected()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for (i, raw) in lines {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let line_no = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let Some(fields) = split_record(raw, delimiter) else {
            problems.push(LineProblem::new(line_no, "-", Rule::Malformed("aspas fechadas na mesma linha")));
            continue;
        };
        if fields.len() != CSV_HEADER.len() {
            problems.push(LineProblem::new(line_no, "-", Rule::Malformed("5 colunas, como o cabeçalho")));
            continue;
        }
        let amount = Money::parse_brl("valor", &fields[4]);
        match check_line(line_no, CSV_COLUMNS, &fields[0], &fields[1], &fields[2], &fields[3], amount) {
            Ok(line) => out.push(line),
            Err(found) => problems.extend(found),
        }
    }
    problems.truncate(MAX_PROBLEMS);
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

// ----- reconciliation -----

/// A difference between the invoice and the billing report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagKind {
    /// An access billed that is not on the month's report.
    AccessNotInReport,
    /// A service line whose amount is not the report's charge.
    AmountDiffers,
    /// The report credits the access, and the invoice's discount for it is
    /// missing or smaller.
    CreditNotApplied,
    /// A fine installment of the report with no `multa` line of its amount.
    PenaltyInstallmentMissing,
    /// An access with more than one service line.
    DuplicateAccess,
    /// On the report, not billed (informational: the state pays less).
    MissingFromInvoice,
}

impl FlagKind {
    pub const ALL: [FlagKind; 6] = [
        FlagKind::AccessNotInReport,
        FlagKind::AmountDiffers,
        FlagKind::CreditNotApplied,
        FlagKind::PenaltyInstallmentMissing,
        FlagKind::DuplicateAccess,
        FlagKind::MissingFromInvoice,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagKind::AccessNotInReport => "access_not_in_report",
            FlagKind::AmountDiffers => "amount_differs",
            FlagKind::CreditNotApplied => "credit_not_applied",
            FlagKind::PenaltyInstallmentMissing => "penalty_installment_missing",
            FlagKind::DuplicateAccess => "duplicate_access",
            FlagKind::MissingFromInvoice => "missing_from_invoice",
        }
    }

    pub fn from_code(code: &str) -> Option<FlagKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            FlagKind::AccessNotInReport => "Acesso fora do relatório",
            FlagKind::AmountDiffers => "Valor diferente do relatório",
            FlagKind::CreditNotApplied => "Desconto por indisponibilidade não aplicado",
            FlagKind::PenaltyInstallmentMissing => "Parcela de multa não descontada",
            FlagKind::DuplicateAccess => "Acesso cobrado em duplicidade",
            FlagKind::MissingFromInvoice => "Acesso do relatório não cobrado",
        }
    }

    /// Informational flags do not make the invoice wrong against the state.
    pub fn is_informational(self) -> bool {
        self == FlagKind::MissingFromInvoice
    }
}

/// One flagged difference, with both amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub kind: FlagKind,
    pub access_id: Option<AccessId>,
    /// The invoice lines concerned (`line_no`), none for a report line not
    /// billed.
    pub line_nos: Vec<i64>,
    /// What the report says (charge, credit, installment).
    pub expected: Money,
    /// What the invoice says.
    pub invoiced: Money,
    /// pt-BR explanation.
    pub note: String,
}

/// The invoice's sums and the report's net.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InvoiceTotals {
    pub services: Money,
    pub discounts: Money,
    pub penalties: Money,
    pub other: Money,
    /// services + other − discounts − penalties.
    pub total: Money,
    /// The report's net (charge − credits − adjustments − deductions).
    pub report_net: Money,
    /// total − report_net: positive when the invoice asks for more.
    pub difference: Money,
}

impl InvoiceTotals {
    /// The invoice's sums, with `report_net` to compare with.
    pub fn of(lines: &[InvoiceLine], report_net: Money) -> InvoiceTotals {
        let sum = |k: LineKind| lines.iter().filter(|l| l.kind == k).map(|l| l.amount).sum::<Money>();
        let (services, discounts, penalties, other) =
            (sum(LineKind::Service), sum(LineKind::Discount), sum(LineKind::Penalty), sum(LineKind::Other));
        let total = services + other - discounts - penalties;
        InvoiceTotals {
            services,
            discounts,
            penalties,
            other,
            total,
            report_net,
            difference: total - report_net,
        }
    }
}

/// The comparison of an invoice with its billing report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub flags: Vec<Flag>,
    pub totals: InvoiceTotals,
}

impl Reconciliation {
    /// No flag other than informational ones.
    pub fn is_clean(&self) -> bool {
        self.flags.iter().all(|f| f.kind.is_informational())
    }
}

/// What an access's lines add up to on the invoice.
#[derive(Default)]
struct Billed {
    services: Vec<(i64, Money)>,
    discounts: Vec<(i64, Money)>,
}

/// Compares `lines` with `report`, access by access: each access billed
/// (in access order) gets at most one of access_not_in_report,
/// duplicate_access or amount_differs, and credit_not_applied when the
/// report's credit for it (the line's plus this month's adjustments) is
/// more than its discounts; then the report's accesses not billed
/// (missing_from_invoice, in report order); then the report's fine
/// installments with no `multa` line of the same amount (each line matches
/// one installment). Totals compare the invoice's total with the report's
/// net. One pass over each side: linear in the lines.
pub fn reconcile(report: &BillingReport, lines: &[InvoiceLine]) -> Reconciliation {
    let mut expected: HashMap<i64, (Money, Money)> = HashMap::with_capacity(report.lines.len());
    for l in &report.lines {
        let e = expected.entry(l.access_id).or_insert((Money::ZERO, Money::ZERO));
        e.0 += l.charge;
        e.1 += l.credit;
    }
    for a in &report.adjustments {
        if let Some(e) = expected.get_mut(&a.access_id) {
            e.1 += a.credit;
        }
    }
    let mut billed: BTreeMap<i64, Billed> = BTreeMap::new();
    for l in lines {
        let Some(access) = l.access_id else { continue };
        match l.kind {
            LineKind::Service => billed.entry(access.0).or_default().services.push((l.line_no, l.amount)),
            LineKind::Discount => billed.entry(access.0).or_default().discounts.push((l.line_no, l.amount)),
            LineKind::Penalty | LineKind::Other => {}
        }
    }
    let mut flags = Vec::new();
    for (&access, b) in &billed {
        let service: Money = b.services.iter().map(|(_, a)| *a).sum();
        let discount: Money = b.discounts.iter().map(|(_, a)| *a).sum();
        let service_lines: Vec<i64> = b.services.iter().map(|(n, _)| *n).collect();
        let designation = format!("AC-{access:06}");
        let Some(&(charge, credit)) = expected.get(&access) else {
            let mut all: Vec<i64> =
                service_lines.iter().copied().chain(b.discounts.iter().map(|(n, _)| *n)).collect();
            all.sort_unstable();
            flags.push(Flag {
                kind: FlagKind::AccessNotInReport,
                access_id: Some(AccessId(access)),
                line_nos: all,
                expected: Money::ZERO,
                invoiced: service - discount,
                note: format!("{designation} não consta do relatório de faturamento do mês"),
            });
            continue;
        };
        if b.services.len() > 1 {
            flags.push(Flag {
                kind: FlagKind::DuplicateAccess,
                access_id: Some(AccessId(access)),
                line_nos: service_lines.clone(),
                expected: charge,
                invoiced: service,
                note: format!("{designation} cobrado em {} linhas de serviço", b.services.len()),
            });
        } else if service != charge && !b.services.is_empty() {
            flags.push(Flag {
                kind: FlagKind::AmountDiffers,
                access_id: Some(AccessId(access)),
                line_nos: service_lines.clone(),
                expected: charge,
                invoiced: service,
                note: format!("{designation}: cobrado {service}, o relatório apura {charge}"),
            });
        }
        if credit > Money::ZERO && discount < credit {
            flags.push(Flag {
                kind: FlagKind::CreditNotApplied,
                access_id: Some(AccessId(access)),
                line_nos: if b.discounts.is_empty() {
                    service_lines.clone()
                } else {
                    b.discounts.iter().map(|(n, _)| *n).collect()
                },
                expected: credit,
                invoiced: discount,
                note: format!("{designation}: desconto de {discount}, o relatório apura {credit}"),
            });
        }
        if b.services.is_empty() {
            flags.push(Flag {
                kind: FlagKind::MissingFromInvoice,
                access_id: Some(AccessId(access)),
                line_nos: vec![],
                expected: charge,
                invoiced: Money::ZERO,
                note: format!("{designation} está no relatório e não foi cobrado"),
            });
        }
    }
    let mut seen: HashSet<i64> = HashSet::with_capacity(report.lines.len());
    for l in &report.lines {
        if billed.contains_key(&l.access_id) || !seen.insert(l.access_id) {
            continue;
        }
        // Not billed at all: nothing is owed for it, its credit included.
        let (charge, _) = expected[&l.access_id];
        flags.push(Flag {
            kind: FlagKind::MissingFromInvoice,
            access_id: Some(AccessId(l.access_id)),
            line_nos: vec![],
            expected: charge,
            invoiced: Money::ZERO,
            note: format!("{} está no relatório e não foi cobrado", l.designation),
        });
    }
    let mut fines: Vec<(i64, Money)> =
        lines.iter().filter(|l| l.kind == LineKind::Penalty).map(|l| (l.line_no, l.amount)).collect();
    for d in report.deductions.iter().filter(|d| d.kind == DeductionKind::Penalty) {
        match fines.iter().position(|(_, a)| *a == d.amount) {
            Some(i) => {
                fines.swap_remove(i);
            }
            None => flags.push(Flag {
                kind: FlagKind::PenaltyInstallmentMissing,
                access_id: None,
                line_nos: vec![],
                expected: d.amount,
                invoiced: Money::ZERO,
                note: format!("{}: nenhuma linha de multa de {}", d.description, d.amount),
            }),
        }
    }
    Reconciliation { flags, totals: InvoiceTotals::of(lines, report.totals.net) }
}

// ----- disputes -----

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeStatus {
    /// Opened by the agency (or the contract manager), awaiting the operator.
    Opened,
    /// The operator answered.
    Answered,
    /// Resolved for the state: the contested amount is credited.
    Upheld,
    /// Resolved for the operator.
    Rejected,
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 4] =
        [DisputeStatus::Opened, DisputeStatus::Answered, DisputeStatus::Upheld, DisputeStatus::Rejected];
    const CODES: &'static [&'static str] = &["opened", "answered", "upheld", "rejected"];

    pub fn code(self) -> &'static str {
        match self {
            DisputeStatus::Opened => "opened",
            DisputeStatus::Answered => "answered",
            DisputeStatus::Upheld => "upheld",
            DisputeStatus::Rejected => "rejected",
        }
    }

    pub fn parse(field: &str, text: &str) -> Valid<DisputeStatus> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == text.trim())
            .ok_or_else(|| FieldError::new(field, Rule::OneOf(Self::CODES)))
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            DisputeStatus::Opened => "Aberta",
            DisputeStatus::Answered => "Respondida",
            DisputeStatus::Upheld => "Procedente",
            DisputeStatus::Rejected => "Improcedente",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, DisputeStatus::Upheld | DisputeStatus::Rejected)
    }
}

/// A step of a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeAction {
    /// The operator's answer (once, while opened).
    Answer,
    /// Resolved for the state (from opened or answered).
    Uphold,
    /// Resolved for the operator (from opened or answered).
    Reject,
}

impl DisputeAction {
    pub fn code(self) -> &'static str {
        match self {
            DisputeAction::Answer => "answer",
            DisputeAction::Uphold => "uphold",
            DisputeAction::Reject => "reject",
        }
    }
}

/// The dispute life cycle: the status after `action`, or the rule it
/// breaks (on field `status`).
pub fn next_status(status: DisputeStatus, action: DisputeAction) -> Valid<DisputeStatus> {
    use DisputeAction as A;
    use DisputeStatus as S;
    match (status, action) {
        (S::Opened, A::Answer) => Ok(S::Answered),
        (S::Opened | S::Answered, A::Uphold) => Ok(S::Upheld),
        (S::Opened | S::Answered, A::Reject) => Ok(S::Rejected),
        _ => Err(FieldError::new(
            "status",
            Rule::ActionNotAllowed { action: action.code(), status: status.code() },
        )),
    }
}

/// A line a new dispute contests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContestedLine {
    pub invoice_line_id: i64,
    pub contested: Money,
}

/// What the app knows of an invoice line being contested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOnInvoice {
    pub amount: Money,
    /// Already in another dispute not rejected.
    pub disputed: bool,
}

/// Checks a new dispute: a reason, at least one line, each line on the
/// invoice, not contested twice (here or in another dispute not
/// rejected), its amount more than zero and at most the line's. Returns the
/// total contested. Fields are named `reason`, `lines`,
/// `lines[i].invoice_line_id`, `lines[i].contested_centavos`.
pub fn check_dispute(
    reason: &str,
    lines: &[ContestedLine],
    on_invoice: &HashMap<i64, LineOnInvoice>,
) -> Valid<Money> {
    crate::error::required("reason", reason)?;
    if lines.is_empty() {
        return Err(FieldError::new("lines", Rule::Required));
    }
    let mut seen = HashSet::new();
    let mut total = Money::ZERO;
    for (i, l) in lines.iter().enumerate() {
        let id_field = || format!("lines[{i}].invoice_line_id");
        let line = on_invoice
            .get(&l.invoice_line_id)
            .ok_or_else(|| FieldError::new(id_field(), Rule::UnknownReference))?;
        if line.disputed || !seen.insert(l.invoice_line_id) {
            return Err(FieldError::new(id_field(), Rule::Duplicate));
        }
        if l.contested <= Money::ZERO || l.contested > line.amount {
            return Err(FieldError::new(
                format!("lines[{i}].contested_centavos"),
                Rule::OutOfRange { min: 1, max: line.amount.centavos() },
            ));
        }
        total += l.contested;
    }
    Ok(total)
}

/// The description of an upheld dispute's credit on the billing report.
pub fn dispute_credit_description(dispute_id: i64, invoice_number: &str, month: &str) -> String {
    format!("Contestação nº {dispute_id} — fatura {invoice_number}/{month}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::{AdjustmentLine, BillingLine, DeductionLine, Party};
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_centavos(c)
    }

    fn party(id: i64) -> Party {
        Party { id, name: format!("P{id}"), cnpj: String::new() }
    }

    fn report_line(access: i64, charge: i64, credit: i64) -> BillingLine {
        BillingLine {
            access_id: access,
            designation: format!("AC-{access:06}"),
            site: String::new(),
            municipality: String::new(),
            lot: "1A".into(),
            service: String::new(),
            billable_seconds: 1,
            downtime_seconds: 0,
            availability_percent: "100.0000".into(),
            charge: m(charge),
            credit: m(credit),
            net: m(charge - credit),
        }
    }

    fn report(lines: Vec<BillingLine>, adjustments: Vec<AdjustmentLine>, fines: &[i64]) -> BillingReport {
        let deductions = fines
            .iter()
            .enumerate()
            .map(|(i, &a)| DeductionLine {
                kind: DeductionKind::Penalty,
                source_id: i as i64 + 1,
                description: format!("Parcela {}", i + 1),
                amount: m(a),
                parts: vec![],
            })
            .collect();
        BillingReport::build(
            "2026-10".into(),
            true,
            party(1),
            party(2),
            "C".into(),
            lines,
            adjustments,
            deductions,
            vec![],
        )
    }

    fn line(n: i64, kind: LineKind, access: Option<i64>, amount: i64) -> InvoiceLine {
        InvoiceLine {
            line_no: n,
            kind,
            access_id: access.map(AccessId),
            reference: String::new(),
            description: String::new(),
            amount: m(amount),
        }
    }

    /// The flags of a reconciliation as `(code, access, expected, invoiced)`.
    fn flags(r: &Reconciliation) -> Vec<(&'static str, Option<i64>, i64, i64)> {
        r.flags
            .iter()
            .map(|f| (f.kind.code(), f.access_id.map(|a| a.0), f.expected.centavos(), f.invoiced.centavos()))
            .collect()
    }

    #[test]
    fn a_correct_invoice_has_no_flag_and_no_difference() {
        let r = report(vec![report_line(1, 100_000, 1_075), report_line(2, 67_742, 0)], vec![], &[500]);
        let lines = vec![
            line(2, LineKind::Service, Some(1), 100_000),
            line(3, LineKind::Discount, Some(1), 1_075),
            line(4, LineKind::Service, Some(2), 67_742),
            line(5, LineKind::Penalty, None, 500),
        ];
        let rec = reconcile(&r, &lines);
        assert_eq!(flags(&rec), vec![]);
        assert!(rec.is_clean());
        assert_eq!(rec.totals.total, r.totals.net);
        assert_eq!(rec.totals.difference, Money::ZERO);
    }

    #[test]
    fn every_difference_is_flagged_with_both_amounts() {
        let adj = AdjustmentLine {
            id: 1,
            access_id: 3,
            designation: "AC-000003".into(),
            refers_to: "2026-09".into(),
            reason: "r".into(),
            credit: m(200),
        };
        let r = report(
            vec![
                report_line(1, 100_000, 0),
                report_line(2, 50_000, 0),
                report_line(3, 40_000, 300),
                report_line(4, 10_000, 0),
            ],
            vec![adj],
            &[700, 900],
        );
        let lines = vec![
            line(2, LineKind::Service, Some(1), 100_001),
            line(3, LineKind::Service, Some(2), 25_000),
            line(4, LineKind::Service, Some(2), 25_000),
            line(5, LineKind::Service, Some(3), 40_000),
            line(6, LineKind::Discount, Some(3), 300),
            line(7, LineKind::Service, Some(9), 8_000),
            line(8, LineKind::Penalty, None, 900),
            line(9, LineKind::Other, None, 50),
        ];
        let rec = reconcile(&r, &lines);
        assert_eq!(
            flags(&rec),
            vec![
                ("amount_differs", Some(1), 100_000, 100_001),
                ("duplicate_access", Some(2), 50_000, 50_000),
                // 300 of the line + 200 adjusted this month.
                ("credit_not_applied", Some(3), 500, 300),
                ("access_not_in_report", Some(9), 0, 8_000),
                ("missing_from_invoice", Some(4), 10_000, 0),
                ("penalty_installment_missing", None, 700, 0),
            ]
        );
        assert_eq!(rec.flags[1].line_nos, vec![3, 4]);
        assert!(!rec.is_clean());
        // 100001 + 50000 + 40000 + 8000 + 50 − 300 − 900 = 196851
        assert_eq!(rec.totals.total.centavos(), 196_851);
        assert_eq!(rec.totals.report_net.centavos(), 200_000 - 300 - 200 - 1_600);
        assert_eq!(rec.totals.difference, rec.totals.total - rec.totals.report_net);
    }

    #[test]
    fn a_missing_discount_points_at_the_service_line() {
        let r = report(vec![report_line(1, 100_000, 1_075)], vec![], &[]);
        let rec = reconcile(&r, &[line(7, LineKind::Service, Some(1), 100_000)]);
        assert_eq!(flags(&rec), vec![("credit_not_applied", Some(1), 1_075, 0)]);
        assert_eq!(rec.flags[0].line_nos, vec![7]);
        let only_missing = reconcile(&r, &[]);
        assert_eq!(flags(&only_missing), vec![("missing_from_invoice", Some(1), 100_000, 0)]);
        assert!(only_missing.is_clean(), "informational only");
    }

    #[test]
    fn the_csv_layout_reads_ptbr_and_dot_decimals() {
        let text = "\u{feff}Tipo;Acesso;Referência;Descrição;Valor\r\n\
                    servico;AC-000123;CIR-1;\"Link; 10 Mbps\";1.234,56\r\n\
                    \r\n\
                    DESCONTO;123;;Indisponibilidade;-10,75\n\
                    multa;;PM-2026/0003;Parcela 1 de 3;5.00\n\
                    outro;;;\"Taxa \"\"extra\"\"\";0,5\n";
        let lines = parse_csv(text).expect("valid");
        let got: Vec<_> = lines
            .iter()
            .map(|l| (l.line_no, l.kind, l.access_id.map(|a| a.0), l.amount.centavos()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, LineKind::Service, Some(123), 123_456),
                (4, LineKind::Discount, Some(123), 1_075),
                (5, LineKind::Penalty, None, 500),
                (6, LineKind::Other, None, 50),
            ]
        );
        assert_eq!(lines[0].description, "Link; 10 Mbps");
        assert_eq!(lines[3].description, "Taxa \"extra\"");
    }

    /// The problems of a file as `(line, column, rule code)`.
    fn problems(text: &str) -> Vec<(usize, String, &'static str)> {
        parse_csv(text).expect_err("refused").into_iter().map(|p| (p.line, p.column, p.rule.code())).collect()
    }

    #[test]
    fn bad_input_is_named_by_line_column_and_rule() {
        assert_eq!(
            problems("tipo;acesso;valor\nservico;1;10\n"),
            vec![
                (1, "referencia".into(), "malformed"),
                (1, "descricao".into(), "malformed"),
                (1, "valor".into(), "malformed")
            ]
        );
        assert_eq!(problems(""), vec![(1, "tipo".into(), "required")]);
        let text = "tipo;acesso;referencia;descricao;valor\n\
                    servico;1;;;dez reais\n\
                    servico;1;;;-5,00\n\
                    desconto;1;;;-5,00\n\
                    servico;;;;5\n\
                    taxa;1;;;5\n\
                    servico;X-9;;;5\n\
                    servico;1;;5\n\
                    servico;1;;;\n\
                    servico;1;\"aberta;;5\n";
        assert_eq!(
            problems(text),
            vec![
                (2, "valor".into(), "malformed"),
                (3, "valor".into(), "malformed"),
                (5, "acesso".into(), "required"),
                (6, "tipo".into(), "not_allowed_value"),
                (7, "acesso".into(), "malformed"),
                (8, "-".into(), "malformed"),
                (9, "valor".into(), "required"),
                (10, "-".into(), "malformed"),
            ]
        );
    }

    #[test]
    fn the_api_names_its_own_fields() {
        let err = check_line(3, API_COLUMNS, "multa", "", "", "", Ok(m(-1))).expect_err("negative");
        assert_eq!((err[0].line, err[0].column.as_str()), (3, "amount_centavos"));
        let ok = check_line(1, API_COLUMNS, "desconto", "AC-7", "", "", Ok(m(-1))).expect("credit");
        assert_eq!((ok.amount, ok.access_id), (m(1), Some(AccessId(7))));
    }

    #[test]
    fn the_dispute_life_cycle() {
        use DisputeAction as A;
        use DisputeStatus as S;
        assert_eq!(next_status(S::Opened, A::Answer), Ok(S::Answered));
        assert_eq!(next_status(S::Answered, A::Uphold), Ok(S::Upheld));
        assert_eq!(next_status(S::Opened, A::Reject), Ok(S::Rejected));
        assert_eq!(next_status(S::Opened, A::Uphold), Ok(S::Upheld), "resolved without an answer");
        for (from, action) in [
            (S::Answered, A::Answer),
            (S::Upheld, A::Reject),
            (S::Rejected, A::Answer),
            (S::Upheld, A::Uphold),
        ] {
            let e = next_status(from, action).expect_err("refused");
            assert_eq!((e.field.as_str(), e.rule.code()), ("status", "action_not_allowed"));
        }
    }

    #[test]
    fn a_dispute_contests_each_line_once_and_within_its_amount() {
        let on: HashMap<i64, LineOnInvoice> = [
            (10, LineOnInvoice { amount: m(1_000), disputed: false }),
            (11, LineOnInvoice { amount: m(500), disputed: true }),
        ]
        .into();
        let c = |id, amount| ContestedLine { invoice_line_id: id, contested: m(amount) };
        assert_eq!(check_dispute("cobrança indevida", &[c(10, 1_000)], &on), Ok(m(1_000)));
        let field = |r: Valid<Money>| {
            let e = r.expect_err("refused");
            (e.field, e.rule.code())
        };
        assert_eq!(field(check_dispute(" ", &[c(10, 1)], &on)), ("reason".into(), "required"));
        assert_eq!(field(check_dispute("x", &[], &on)), ("lines".into(), "required"));
        assert_eq!(
            field(check_dispute("x", &[c(99, 1)], &on)),
            ("lines[0].invoice_line_id".into(), "unknown_reference")
        );
        assert_eq!(
            field(check_dispute("x", &[c(11, 1)], &on)),
            ("lines[0].invoice_line_id".into(), "duplicate")
        );
        assert_eq!(
            field(check_dispute("x", &[c(10, 1), c(10, 1)], &on)),
            ("lines[1].invoice_line_id".into(), "duplicate")
        );
        assert_eq!(
            field(check_dispute("x", &[c(10, 1_001)], &on)),
            ("lines[0].contested_centavos".into(), "out_of_range")
        );
        assert_eq!(
            field(check_dispute("x", &[c(10, 0)], &on)),
            ("lines[0].contested_centavos".into(), "out_of_range")
        );
        assert_eq!(
            dispute_credit_description(12, "123", "2026-09"),
            "Contestação nº 12 — fatura 123/2026-09"
        );
    }

    proptest! {
        /// An invoice that bills exactly the report (charges, credits,
        /// installments) is clean and adds up to the report's net.
        #[test]
        fn billing_the_report_exactly_is_clean(
            accesses in proptest::collection::vec((1i64..10_000_000, 0i64..100), 0..30),
            fines in proptest::collection::vec(1i64..100_000, 0..4),
        ) {
            let report_lines: Vec<BillingLine> = accesses
                .iter()
                .enumerate()
                .map(|(i, &(c, pct))| report_line(i as i64 + 1, c, c * pct / 100))
                .collect();
            let r = report(report_lines.clone(), vec![], &fines);
            let mut lines = Vec::new();
            for l in &report_lines {
                lines.push(line(lines.len() as i64 + 2, LineKind::Service, Some(l.access_id), l.charge.centavos()));
                if l.credit > Money::ZERO {
                    lines.push(line(lines.len() as i64 + 2, LineKind::Discount, Some(l.access_id), l.credit.centavos()));
                }
            }
            for f in fines.iter().rev() {
                lines.push(line(lines.len() as i64 + 2, LineKind::Penalty, None, *f));
            }
            let rec = reconcile(&r, &lines);
            prop_assert!(rec.flags.is_empty(), "{:?}", rec.flags);
            prop_assert_eq!(rec.totals.difference, Money::ZERO);
        }
    }
}
