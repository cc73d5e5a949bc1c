//! Operators' invoices and disputes (DOMAIN §6): uploading an invoice of one
//! agency, lot holder and closed month (the CSV layout of
//! `docs/invoices.md`, or the same lines through the API), reconciling it
//! with the month's billing report, approving it for payment, and disputes
//! on its lines (opened → answered → upheld | rejected), an upheld one
//! becoming a credit on the first open month's billing report, split
//! between a consortium's members.
//!
//! Every use case is one transaction with its audit entry and its e-mails.
//! An upload reads what it checks against once — the agency's accesses on
//! the holder's lots, the closed month's lines, adjustments and deductions —
//! and writes lines and flags in multi-row statements, so its cost does
//! not grow with a query per line (`examples/invoice_bench.rs`). It builds
//! the same report as `App::billing_report` from the stored snapshot,
//! without the site and municipality names the reconciliation does not
//! read (a test holds both to the same reconciliation).

use crate::audit::{Action, record};
use crate::authz::{Resource, narrow, require_write};
use crate::closing::{access_designation, first_open_month, holder_members};
use crate::import::ImportProblem;
use crate::mail::{Email, agency_manager_emails, enqueue, operator_emails};
use crate::{App, AppError, AppResult};
use chrono::NaiveDate;
use redegov_domain::billing::split_keyed;
use redegov_domain::billing::{
    AdjustmentLine, BillingLine, BillingReport, DeductionKind, DeductionLine, Party,
};
use redegov_domain::error::{FieldError, Rule, required};
use redegov_domain::ids::*;
use redegov_domain::inventory::LotHolder;
use redegov_domain::invoice::*;
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_store::closing::LineFilter;
use redegov_store::deductions::{DeductionFilter, NewDeduction};
use redegov_store::inventory::{InventoryFilter, Listed};
use redegov_store::invoices::*;
use redegov_store::mail::UserScope;
use redegov_store::{Page, StoreError, Tx};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

pub use redegov_store::invoices::{
    DisputeFilter, DisputeLineRecord, DisputeRecord, InvoiceFilter, InvoiceLineRecord, InvoiceRecord,
};

/// What identifies an invoice, beside its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceHeader {
    pub agency_id: AgencyId,
    pub holder: LotHolder,
    /// A closed month.
    pub month: Month,
    /// The operator's number, unique per holder.
    pub number: String,
    pub issued_on: NaiveDate,
}

/// One line as the API gives it (checked like a CSV line, problems named
/// by the API's fields: `kind`, `access`, `amount_centavos`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoiceLineInput {
    /// `servico`, `desconto`, `multa` or `outro`.
    pub kind: String,
    /// `AC-000123` or `123`; blank for none.
    pub access: String,
    pub reference: String,
    pub description: String,
    pub amount_centavos: i64,
}

/// An invoice and its reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceReconciliation {
    pub invoice: InvoiceRecord,
    pub reconciliation: Reconciliation,
}

/// An invoice with its lines and disputes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDetail {
    pub invoice: InvoiceRecord,
    pub lines: Vec<InvoiceLineRecord>,
    pub disputes: Vec<DisputeRecord>,
}

/// A new dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeInput {
    pub invoice_id: InvoiceId,
    pub reason: String,
    pub lines: Vec<ContestedLine>,
}

/// A dispute with its contested lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeDetail {
    pub dispute: DisputeRecord,
    pub lines: Vec<DisputeLineRecord>,
}

/// How a dispute is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Upheld,
    Rejected,
}

fn rejected(problems: Vec<LineProblem>) -> AppError {
    AppError::Rejected(
        problems
            .into_iter()
            .map(|p| ImportProblem { line: p.line, column: p.column, rule: p.rule })
            .collect(),
    )
}

/// Whether `operator` is the holder or one of its members.
async fn holds(tx: &mut Tx, holder: LotHolder, operator: OperatorId) -> AppResult<bool> {
    Ok(match holder {
        LotHolder::Operator(o) => o == operator,
        LotHolder::Consortium(c) => match tx.consortium(c).await {
            Ok(c) => c.members.iter().any(|m| m.operator_id == operator),
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        },
    })
}

/// Whether the actor sees what concerns `agency` and `holder`: an agency
/// its own, an operator its holder's (alone or as a member).
async fn sees(tx: &mut Tx, actor: &Actor, agency: AgencyId, holder: LotHolder) -> AppResult<bool> {
    match actor.scope {
        Scope::All => Ok(true),
        Scope::Agency(own) => Ok(agency == own),
        Scope::Operator(op) => holds(tx, holder, op).await,
    }
}

async fn visible_invoice(tx: &mut Tx, actor: &Actor, id: InvoiceId) -> AppResult<InvoiceRecord> {
    let invoice = tx.invoice(id).await.map_err(AppError::not_found("invoice"))?;
    if sees(tx, actor, invoice.agency_id, invoice.holder).await? {
        Ok(invoice)
    } else {
        Err(AppError::NotFound("invoice"))
    }
}

async fn visible_dispute(tx: &mut Tx, actor: &Actor, id: DisputeId) -> AppResult<DisputeRecord> {
    let dispute = tx.dispute(id).await.map_err(AppError::not_found("dispute"))?;
    if sees(tx, actor, dispute.agency_id, dispute.holder).await? {
        Ok(dispute)
    } else {
        Err(AppError::NotFound("dispute"))
    }
}

/// The operators of a holder (a consortium's members).
async fn holder_operators(tx: &mut Tx, holder: LotHolder) -> AppResult<Vec<OperatorId>> {
    Ok(holder_members(tx, holder).await?.into_iter().map(|(o, _)| OperatorId(o)).collect())
}

/// Who hears of an invoice's or a dispute's steps.
struct Recipients {
    agency: Vec<String>,
    operators: Vec<String>,
    contract: Vec<String>,
}

async fn recipients(tx: &mut Tx, agency: AgencyId, holder: LotHolder) -> AppResult<Recipients> {
    let operators = holder_operators(tx, holder).await?;
    Ok(Recipients {
        agency: agency_manager_emails(tx, agency).await?,
        operators: operator_emails(tx, &operators).await?,
        contract: tx.active_user_emails(Role::ContractManager, UserScope::All).await?,
    })
}

/// The closed month's billing report of `agency` with `holder`, built from
/// the stored snapshot in a handful of queries: the lines of the holder's
/// lots, this month's adjustments of its accesses and its deduction lines
/// (the same as `App::billing_report` gives for a closed month, without
/// the names the reconciliation does not read). `accesses` is the agency's
/// accesses on the holder's lots.
async fn closed_report(
    tx: &mut Tx,
    closing_id: i64,
    month: Month,
    agency: AgencyId,
    holder: LotHolder,
    accesses: &HashMap<AccessId, LotId>,
) -> AppResult<BillingReport> {
    let lots: HashSet<LotId> = tx
        .list_lots(&InventoryFilter::default(), Page::all())
        .await?
        .items
        .into_iter()
        .filter(|l| l.holder == holder)
        .map(|l| l.id)
        .collect();
    let filter = LineFilter { agency_id: Some(agency), ..Default::default() };
    let lines: Vec<BillingLine> = tx
        .closing_lines(closing_id, &filter)
        .await?
        .into_iter()
        .filter(|l| lots.contains(&l.lot_id))
        .map(|l| BillingLine {
            access_id: l.access_id.0,
            designation: access_designation(l.access_id),
            site: String::new(),
            municipality: String::new(),
            lot: String::new(),
            service: String::new(),
            billable_seconds: l.billable_seconds,
            downtime_seconds: l.downtime_seconds,
            availability_percent: String::new(),
            charge: l.charge,
            credit: l.credit,
            net: l.net,
        })
        .collect();
    let label = month.to_string();
    let adjustments: Vec<AdjustmentLine> = tx
        .adjustments(&label, &filter)
        .await?
        .into_iter()
        .filter(|a| accesses.contains_key(&a.access_id))
        .map(|a| AdjustmentLine {
            id: a.id.0,
            access_id: a.access_id.0,
            designation: access_designation(a.access_id),
            refers_to: a.refers_to,
            reason: a.reason,
            credit: a.credit,
        })
        .collect();
    let stored = tx
        .deductions(&DeductionFilter {
            month: Some(label.clone()),
            agency_id: Some(agency),
            ..Default::default()
        })
        .await?;
    let mut deductions: Vec<DeductionLine> = Vec::new();
    for d in stored.into_iter().map(|d| d.deduction).filter(|d| lots.contains(&d.lot_id)) {
        match deductions.iter_mut().find(|l| l.kind == d.kind && l.source_id == d.source_id) {
            Some(line) => line.amount += d.amount,
            None => deductions.push(DeductionLine {
                kind: d.kind,
                source_id: d.source_id,
                description: d.description,
                amount: d.amount,
                parts: vec![],
            }),
        }
    }
    let party = |id: i64| Party { id, name: String::new(), cnpj: String::new() };
    let holder_id = match holder {
        LotHolder::Operator(o) => o.0,
        LotHolder::Consortium(c) => c.0,
    };
    Ok(BillingReport::build(
        label,
        true,
        party(agency.0),
        party(holder_id),
        String::new(),
        lines,
        adjustments,
        deductions,
        vec![],
    ))
}

/// What the audit log keeps of an invoice (its lines are in their table).
#[derive(Serialize)]
struct InvoiceAudit<'a> {
    agency_id: i64,
    holder: String,
    month: &'a str,
    number: &'a str,
    issued_on: String,
    status: &'static str,
    line_count: i64,
    total_centavos: i64,
    report_net_centavos: i64,
    difference_centavos: i64,
    flag_count: i64,
}

impl<'a> InvoiceAudit<'a> {
    fn of(i: &'a InvoiceRecord) -> Self {
        InvoiceAudit {
            agency_id: i.agency_id.0,
            holder: holder_code(i.holder),
            month: &i.month,
            number: &i.number,
            issued_on: i.issued_on.to_string(),
            status: i.status.code(),
            line_count: i.line_count,
            total_centavos: i.totals.total.centavos(),
            report_net_centavos: i.totals.report_net.centavos(),
            difference_centavos: i.totals.difference.centavos(),
            flag_count: i.flag_count,
        }
    }
}

impl App {
    fn invoice_link(&self, id: InvoiceId) -> String {
        format!("{}/faturas/{}", self.public_url(), id.0)
    }

    fn dispute_link(&self, id: DisputeId) -> String {
        format!("{}/contestacoes/{}", self.public_url(), id.0)
    }

    /// Uploads an invoice given as the CSV layout of `docs/invoices.md`.
    /// All lines or none: a file with problems is refused with each one's
    /// line, column and rule.
    pub async fn import_invoice_csv(
        &self,
        actor: &Actor,
        header: InvoiceHeader,
        csv: &[u8],
    ) -> AppResult<InvoiceReconciliation> {
        require_write(actor, Resource::Invoice)?;
        let text = std::str::from_utf8(csv)
            .map_err(|_| rejected(vec![LineProblem::new(1, "-", Rule::Malformed("texto em UTF-8"))]))?;
        let lines = parse_csv(text).map_err(rejected)?;
        self.upload_invoice(actor, header, lines, CSV_COLUMNS).await
    }

    /// Uploads an invoice whose lines come through the API; a line's
    /// problems name its position in `lines` (1-based) and its field.
    pub async fn create_invoice(
        &self,
        actor: &Actor,
        header: InvoiceHeader,
        lines: Vec<InvoiceLineInput>,
    ) -> AppResult<InvoiceReconciliation> {
        require_write(actor, Resource::Invoice)?;
        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let amount = Ok(Money::from_centavos(l.amount_centavos));
            match check_line(i + 1, API_COLUMNS, &l.kind, &l.access, &l.reference, &l.description, amount) {
                Ok(line) => checked.push(line),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            problems.truncate(MAX_PROBLEMS);
            return Err(rejected(problems));
        }
        self.upload_invoice(actor, header, checked, API_COLUMNS).await
    }

    async fn upload_invoice(
        &self,
        actor: &Actor,
        header: InvoiceHeader,
        lines: Vec<InvoiceLine>,
        columns: Columns,
    ) -> AppResult<InvoiceReconciliation> {
        let number = required("number", &header.number)?;
        let now = self.now();
        let label = header.month.to_string();
        let mut tx = self.store().write().await?;
        tx.agency(header.agency_id).await.map_err(|e| match e {
            StoreError::NotFound => FieldError::new("agency_id", Rule::UnknownReference).into(),
            other => AppError::from(other),
        })?;
        let holder_exists = match header.holder {
            LotHolder::Operator(o) => tx.operator(o).await.map(|_| ()),
            LotHolder::Consortium(c) => tx.consortium(c).await.map(|_| ()),
        };
        let in_scope = match actor.scope {
            Scope::Operator(op) => holds(&mut tx, header.holder, op).await?,
            _ => true,
        };
        match holder_exists {
            Ok(()) if in_scope => {}
            Ok(()) | Err(StoreError::NotFound) => {
                return Err(FieldError::new("holder", Rule::UnknownReference).into());
            }
            Err(e) => return Err(e.into()),
        }
        let Some(closing) = tx.closing(&label).await? else {
            return Err(FieldError::new("month", Rule::MonthNotClosed { month: label }).into());
        };
        if tx.invoice_number_taken(header.holder, &number).await? {
            return Err(FieldError::new("number", Rule::Duplicate).into());
        }
        if lines.is_empty() {
            return Err(FieldError::new("lines", Rule::Required).into());
        }
        let accesses: HashMap<AccessId, LotId> =
            tx.invoice_accesses(header.agency_id, header.holder).await?.into_iter().collect();
        let mut problems = Vec::new();
        let mut stored = Vec::with_capacity(lines.len());
        for line in lines {
            let lot_id = match line.access_id {
                None => None,
                Some(a) => match accesses.get(&a) {
                    Some(lot) => Some(*lot),
                    None => {
                        if problems.len() < MAX_PROBLEMS {
                            problems.push(LineProblem::new(
                                line.line_no as usize,
                                columns.access,
                                Rule::UnknownReference,
                            ));
                        }
                        continue;
                    }
                },
            };
            stored.push(NewInvoiceLine { line, lot_id });
        }
        if !problems.is_empty() {
            return Err(rejected(problems));
        }
        let report =
            closed_report(&mut tx, closing.id, header.month, header.agency_id, header.holder, &accesses)
                .await?;
        let plain: Vec<InvoiceLine> = stored.iter().map(|l| l.line.clone()).collect();
        let reconciliation = reconcile(&report, &plain);
        drop(plain);
        let new = NewInvoice {
            agency_id: header.agency_id,
            holder: header.holder,
            month: label.clone(),
            number: number.clone(),
            issued_on: header.issued_on,
            totals: reconciliation.totals,
            uploaded_by: Some(actor.user_id),
        };
        let id = tx
            .insert_invoice(&new, &stored, &reconciliation.flags, now)
            .await
            .map_err(AppError::unique(&["number"]))?;
        let invoice = tx.invoice(id).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "invoice",
            Some(id.0),
            None::<&()>,
            Some(&InvoiceAudit::of(&invoice)),
        )
        .await?;
        let to = recipients(&mut tx, invoice.agency_id, invoice.holder).await?;
        let problems = reconciliation.flags.iter().filter(|f| !f.kind.is_informational()).count();
        let body = format!(
            "A fatura nº {number} de {label} ({} linhas, total {}) foi recebida e conferida com o relatório \
             de faturamento (líquido {}, diferença {}): {problems} divergência(s).\n\
             Confira a conciliação e aprove a fatura para pagamento ou abra uma contestação.",
            invoice.line_count, invoice.totals.total, invoice.totals.report_net, invoice.totals.difference,
        );
        enqueue(
            &mut tx,
            now,
            Email {
                to: [to.agency, to.contract].concat(),
                subject: format!("Fatura nº {number} de {label} recebida — {problems} divergência(s)"),
                body_text: body,
                link: Some(self.invoice_link(id)),
                kind: "invoice.received",
                subject_ref: Some(format!("invoice:{}", id.0)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InvoiceReconciliation { invoice, reconciliation })
    }

    /// Invoices in the actor's scope, newest upload first.
    pub async fn list_invoices(
        &self,
        actor: &Actor,
        mut f: InvoiceFilter,
        page: Page,
    ) -> AppResult<Listed<InvoiceRecord>> {
        narrow(actor, &mut f.agency_id, &mut f.operator_id);
        let mut tx = self.store().read().await?;
        Ok(tx.list_invoices(&f, page).await?)
    }

    /// An invoice with its lines and disputes.
    pub async fn get_invoice(&self, actor: &Actor, id: InvoiceId) -> AppResult<InvoiceDetail> {
        let mut tx = self.store().read().await?;
        let invoice = visible_invoice(&mut tx, actor, id).await?;
        let lines = tx.invoice_lines(id).await?;
        let f = DisputeFilter { invoice_id: Some(id), oldest_first: true, ..Default::default() };
        let disputes = tx.list_disputes(&f, Page::all()).await?.items;
        Ok(InvoiceDetail { invoice, lines, disputes })
    }

    /// The invoice's comparison with its billing report, as computed when
    /// it was uploaded (a closed month's report never changes).
    pub async fn invoice_reconciliation(
        &self,
        actor: &Actor,
        id: InvoiceId,
    ) -> AppResult<InvoiceReconciliation> {
        let mut tx = self.store().read().await?;
        let invoice = visible_invoice(&mut tx, actor, id).await?;
        let flags = tx.invoice_flags(id).await?;
        let totals = invoice.totals;
        Ok(InvoiceReconciliation { invoice, reconciliation: Reconciliation { flags, totals } })
    }

    /// Approves an invoice for payment (its agency's manager, the contract
    /// manager, admin), once.
    pub async fn approve_invoice(&self, actor: &Actor, id: InvoiceId) -> AppResult<InvoiceRecord> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = visible_invoice(&mut tx, actor, id).await?;
        require_write(actor, Resource::InvoiceApproval)?;
        before.status.approve()?;
        tx.approve_invoice(id, Some(actor.user_id), now).await?;
        let after = tx.invoice(id).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "invoice",
            Some(id.0),
            Some(&InvoiceAudit::of(&before)),
            Some(&InvoiceAudit::of(&after)),
        )
        .await?;
        let to = recipients(&mut tx, after.agency_id, after.holder).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to: [to.operators, to.contract].concat(),
                subject: format!("Fatura nº {} de {} aprovada para pagamento", after.number, after.month),
                body_text: format!(
                    "A fatura nº {} de {} (total {}) foi aprovada para pagamento por {}.",
                    after.number, after.month, after.totals.total, actor.login
                ),
                link: Some(self.invoice_link(id)),
                kind: "invoice.approved",
                subject_ref: Some(format!("invoice:{}", id.0)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    // ----- disputes -----

    /// Opens a dispute on lines of an invoice (the agency's manager, the
    /// contract manager, admin): a reason and the amount contested per line.
    pub async fn open_dispute(&self, actor: &Actor, input: DisputeInput) -> AppResult<DisputeDetail> {
        require_write(actor, Resource::Dispute)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let invoice = match visible_invoice(&mut tx, actor, input.invoice_id).await {
            Err(AppError::NotFound(_)) => {
                return Err(FieldError::new("invoice_id", Rule::UnknownReference).into());
            }
            other => other?,
        };
        let disputed: HashSet<InvoiceLineId> = tx.disputed_lines(invoice.id).await?.into_iter().collect();
        let wanted: HashSet<i64> = input.lines.iter().map(|l| l.invoice_line_id).collect();
        let on_invoice: HashMap<i64, LineOnInvoice> = tx
            .invoice_lines(invoice.id)
            .await?
            .into_iter()
            .filter(|l| wanted.contains(&l.id.0))
            .map(|l| (l.id.0, LineOnInvoice { amount: l.line.amount, disputed: disputed.contains(&l.id) }))
            .collect();
        let contested = check_dispute(&input.reason, &input.lines, &on_invoice)?;
        let new = NewDispute {
            invoice_id: invoice.id,
            agency_id: invoice.agency_id,
            holder: invoice.holder,
            month: invoice.month.clone(),
            reason: input.reason.trim().to_string(),
            contested,
            opened_by: Some(actor.user_id),
            lines: input.lines.iter().map(|l| (InvoiceLineId(l.invoice_line_id), l.contested)).collect(),
        };
        let id = tx.insert_dispute(&new, now).await?;
        let dispute = tx.dispute(id).await?;
        record(&mut tx, actor, now, Action::Create, "dispute", Some(id.0), None::<&()>, Some(&dispute))
            .await?;
        let to = recipients(&mut tx, invoice.agency_id, invoice.holder).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to: [to.operators, to.agency, to.contract].concat(),
                subject: format!("Contestação nº {} — fatura {}/{}", id.0, invoice.number, invoice.month),
                body_text: format!(
                    "Foi aberta a contestação nº {} da fatura nº {} de {}, no valor de {} ({} linha(s)).\n\
                     Motivo: {}\nA operadora deve responder à contestação.",
                    id.0,
                    invoice.number,
                    invoice.month,
                    contested,
                    new.lines.len(),
                    new.reason
                ),
                link: Some(self.dispute_link(id)),
                kind: "dispute.opened",
                subject_ref: Some(format!("dispute:{}", id.0)),
            },
        )
        .await?;
        let lines = tx.dispute_lines(id).await?;
        tx.commit().await?;
        Ok(DisputeDetail { dispute, lines })
    }

    pub async fn get_dispute(&self, actor: &Actor, id: DisputeId) -> AppResult<DisputeDetail> {
        let mut tx = self.store().read().await?;
        let dispute = visible_dispute(&mut tx, actor, id).await?;
        let lines = tx.dispute_lines(id).await?;
        Ok(DisputeDetail { dispute, lines })
    }

    /// Disputes in the actor's scope (newest first, or oldest first).
    pub async fn list_disputes(
        &self,
        actor: &Actor,
        mut f: DisputeFilter,
        page: Page,
    ) -> AppResult<Listed<DisputeRecord>> {
        narrow(actor, &mut f.agency_id, &mut f.operator_id);
        let mut tx = self.store().read().await?;
        Ok(tx.list_disputes(&f, page).await?)
    }

    /// The operator's answer (an operator of the invoice's holder), once,
    /// while the dispute is opened.
    pub async fn answer_dispute(
        &self,
        actor: &Actor,
        id: DisputeId,
        answer: &str,
    ) -> AppResult<DisputeDetail> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = visible_dispute(&mut tx, actor, id).await?;
        require_write(actor, Resource::DisputeAnswer)?;
        let text = required("answer", answer)?;
        next_status(before.status, DisputeAction::Answer)?;
        tx.record_dispute_step(
            id,
            before.status,
            &DisputeStep::Answer { text: text.clone() },
            Some(actor.user_id),
            now,
        )
        .await
        .map_err(|e| stale(e, before.status, DisputeAction::Answer))?;
        let after = tx.dispute(id).await?;
        record(&mut tx, actor, now, Action::Update, "dispute", Some(id.0), Some(&before), Some(&after))
            .await?;
        let to = recipients(&mut tx, after.agency_id, after.holder).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to: [to.agency, to.contract].concat(),
                subject: format!("Contestação nº {} respondida pela operadora", id.0),
                body_text: format!(
                    "A operadora respondeu à contestação nº {} da fatura nº {} de {}:\n{text}\n\
                     A contestação aguarda a decisão do gestor do contrato.",
                    id.0, after.invoice_number, after.month
                ),
                link: Some(self.dispute_link(id)),
                kind: "dispute.answered",
                subject_ref: Some(format!("dispute:{}", id.0)),
            },
        )
        .await?;
        let lines = tx.dispute_lines(id).await?;
        tx.commit().await?;
        Ok(DisputeDetail { dispute: after, lines })
    }

    /// Resolves a dispute (contract manager, admin), answered or not, with
    /// the grounds (`None`: a resolution that is neither, refused on field
    /// `resolution` once the actor may resolve it). Upheld, its contested amount becomes a credit on the
    /// first open month after the invoice's, for the agency and the lot of
    /// each contested line, split between a consortium's members by share.
    pub async fn resolve_dispute(
        &self,
        actor: &Actor,
        id: DisputeId,
        resolution: Option<Resolution>,
        grounds: &str,
    ) -> AppResult<DisputeDetail> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = visible_dispute(&mut tx, actor, id).await?;
        require_write(actor, Resource::DisputeDecision)?;
        let resolution =
            resolution.ok_or_else(|| FieldError::new("resolution", Rule::OneOf(&["upheld", "rejected"])))?;
        let grounds = required("grounds", grounds)?;
        let action = match resolution {
            Resolution::Upheld => DisputeAction::Uphold,
            Resolution::Rejected => DisputeAction::Reject,
        };
        let status = next_status(before.status, action)?;
        let lines = tx.dispute_lines(id).await?;
        let credit_month = match resolution {
            Resolution::Rejected => None,
            Resolution::Upheld => {
                let month = Month::parse(&before.month).ok_or_else(|| {
                    AppError::Internal(format!("dispute #{}: month {:?}", id.0, before.month))
                })?;
                let applied = first_open_month(&mut tx, month.next()).await?;
                let rows = credit_rows(&mut tx, &before, &lines, applied).await?;
                tx.insert_deductions(&rows, now).await?;
                Some(applied.to_string())
            }
        };
        let step =
            DisputeStep::Resolve { status, grounds: grounds.clone(), credit_month: credit_month.clone() };
        tx.record_dispute_step(id, before.status, &step, Some(actor.user_id), now)
            .await
            .map_err(|e| stale(e, before.status, action))?;
        let after = tx.dispute(id).await?;
        record(&mut tx, actor, now, Action::Update, "dispute", Some(id.0), Some(&before), Some(&after))
            .await?;
        let to = recipients(&mut tx, after.agency_id, after.holder).await?;
        let outcome = match &credit_month {
            Some(m) => format!(
                "procedente: o valor de {} será descontado no relatório de faturamento de {m}",
                after.contested
            ),
            None => "improcedente".to_string(),
        };
        enqueue(
            &mut tx,
            now,
            Email {
                to: [to.agency, to.operators, to.contract].concat(),
                subject: format!("Contestação nº {} {}", id.0, status.label().to_lowercase()),
                body_text: format!(
                    "A contestação nº {} da fatura nº {} de {} foi julgada {outcome}.\nFundamentação: {grounds}",
                    id.0, after.invoice_number, after.month
                ),
                link: Some(self.dispute_link(id)),
                kind: "dispute.resolved",
                subject_ref: Some(format!("dispute:{}", id.0)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(DisputeDetail { dispute: after, lines })
    }
}

/// A step refused because another changed the dispute first.
fn stale(e: StoreError, status: DisputeStatus, action: DisputeAction) -> AppError {
    match e {
        StoreError::NotFound => {
            FieldError::new("status", Rule::ActionNotAllowed { action: action.code(), status: status.code() })
                .into()
        }
        other => other.into(),
    }
}

/// The deduction rows of an upheld dispute: its contested amount per lot
/// (a line without an access goes to the smallest lot of the others, or of
/// the agency's accesses on the holder's lots), each split between the
/// holder's members by share, parts of zero left out.
async fn credit_rows(
    tx: &mut Tx,
    d: &DisputeRecord,
    lines: &[DisputeLineRecord],
    month: Month,
) -> AppResult<Vec<NewDeduction>> {
    let mut by_lot: BTreeMap<Option<LotId>, Money> = BTreeMap::new();
    for l in lines {
        let entry = by_lot.entry(l.lot_id).or_insert(Money::ZERO);
        *entry += l.contested;
    }
    if let Some(loose) = by_lot.remove(&None) {
        let lot = match by_lot.keys().next().copied().flatten() {
            Some(lot) => lot,
            None => {
                tx.invoice_accesses(d.agency_id, d.holder)
                    .await?
                    .into_iter()
                    .map(|(_, lot)| lot)
                    .min()
                    .ok_or_else(|| AppError::Internal(format!("dispute #{}: no lot of the holder", d.id.0)))?
            }
        };
        let entry = by_lot.entry(Some(lot)).or_insert(Money::ZERO);
        *entry += loose;
    }
    let members = holder_members(tx, d.holder).await?;
    let description = dispute_credit_description(d.id.0, &d.invoice_number, &d.month);
    let mut rows = Vec::new();
    for (lot, amount) in by_lot {
        let Some(lot) = lot else { continue };
        for (operator, part) in split_keyed(amount, &members) {
            if part > Money::ZERO {
                rows.push(NewDeduction {
                    month: month.to_string(),
                    agency_id: d.agency_id,
                    lot_id: lot,
                    operator_id: OperatorId(operator),
                    kind: DeductionKind::Dispute,
                    source_id: d.id.0,
                    description: description.clone(),
                    amount: part,
                });
            }
        }
    }
    Ok(rows)
}
