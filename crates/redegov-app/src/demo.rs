//! Loads the demo network (`redegov_domain::demo`) into an empty database:
//! one transaction, every row validated by the same rules as the API and
//! audited as created by `system`; then a few service orders at every stage
//! of their life, each step through the order use cases.

use crate::audit::{Action, record, record_created};
use crate::auth::{User, hash_password};
use crate::{App, AppError, AppResult};
use redegov_domain::demo::{DemoHolder, DemoNetwork, demo_incidents, demo_network};
use redegov_domain::imr::ImrRules;
use redegov_domain::incident::{IncidentSource, IncidentStatus, WindowStatus, WindowTarget};
use redegov_domain::inventory::*;
use redegov_domain::role::{Actor, Role};
use redegov_domain::time::Timestamp;
use redegov_store::Tx;
use redegov_store::incidents::{NewIncident, NewWindow};
use redegov_store::users::NewUser;

/// The demo users' logins, roles and password, to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLoaded {
    pub summary: String,
    pub users: Vec<(String, Role, String)>,
}

impl App {
    /// Loads the demo network if the inventory is empty; returns `None` when
    /// there was already data (nothing is touched then).
    pub async fn load_demo(&self) -> AppResult<Option<DemoLoaded>> {
        let net = demo_network();
        let actor = Actor::system();
        let now = self.now();
        // Hash the demo passwords before taking the write lock.
        let mut hashes = Vec::with_capacity(net.users.len());
        for u in &net.users {
            hashes.push(hash_password(&u.password).await?);
        }
        let mut tx = self.store().write().await?;
        if !tx.inventory_is_empty().await? {
            return Ok(None);
        }
        let mut operators = Vec::new();
        for new in &net.operators {
            let op = tx.insert_operator(new).await?;
            record(&mut tx, &actor, now, Action::Create, "operator", Some(op.id.0), None::<&()>, Some(&op))
                .await?;
            operators.push(op);
        }
        let mut consortia = Vec::new();
        for c in &net.consortia {
            let members = c
                .members
                .iter()
                .map(|&(i, share_bp)| ConsortiumMember { operator_id: operators[i].id, share_bp })
                .collect();
            let new = NewConsortium::new(&c.name, members)?;
            let saved = tx.insert_consortium(&new).await?;
            record(
                &mut tx,
                &actor,
                now,
                Action::Create,
                "consortium",
                Some(saved.id.0),
                None::<&()>,
                Some(&saved),
            )
            .await?;
            consortia.push(saved);
        }
        let contract = tx.insert_contract(&net.contract).await?;
        record(
            &mut tx,
            &actor,
            now,
            Action::Create,
            "contract",
            Some(contract.id.0),
            None::<&()>,
            Some(&contract),
        )
        .await?;
        let mut lots = Vec::new();
        for l in &net.lots {
            let holder = match l.holder {
                DemoHolder::Operator(i) => LotHolder::Operator(operators[i].id),
                DemoHolder::Consortium(i) => LotHolder::Consortium(consortia[i].id),
            };
            let new = NewLot::new(
                contract.id,
                &l.code,
                holder,
                l.profile,
                l.region.clone(),
                &l.description,
                None,
                None,
            )?;
            let lot = tx.insert_lot(&new).await?;
            record(&mut tx, &actor, now, Action::Create, "lot", Some(lot.id.0), None::<&()>, Some(&lot))
                .await?;
            lots.push((lot, Vec::new()));
        }
        for p in &net.prices {
            let lot_id = lots[p.lot].0.id;
            let new = NewPrice::new(
                lot_id,
                &p.service,
                p.bandwidth_mbps,
                p.area,
                p.monthly_price,
                p.effective_from,
                None,
            )?;
            let price = tx.insert_price(&new).await?;
            record(
                &mut tx,
                &actor,
                now,
                Action::Create,
                "price",
                Some(price.id.0),
                None::<&()>,
                Some(&price),
            )
            .await?;
            lots[p.lot].1.push(price);
        }
        let mut agencies = Vec::new();
        for new in &net.agencies {
            let a = tx.insert_agency(new).await?;
            record(&mut tx, &actor, now, Action::Create, "agency", Some(a.id.0), None::<&()>, Some(&a))
                .await?;
            agencies.push(a);
        }
        let mut sites = Vec::new();
        for s in &net.sites {
            let new = NewSite::new(
                agencies[s.agency].id,
                &s.name,
                &s.address,
                s.municipality_ibge,
                s.area,
                s.zone,
                s.contact.clone(),
            )?;
            let site = tx.insert_site(&new).await?;
            record(&mut tx, &actor, now, Action::Create, "site", Some(site.id.0), None::<&()>, Some(&site))
                .await?;
            sites.push(site);
        }
        let mut accesses = Vec::with_capacity(net.accesses.len());
        for a in &net.accesses {
            let (lot, prices) = &lots[a.lot];
            let site = &sites[a.site];
            let draft = AccessDraft {
                site_id: site.id,
                lot_id: lot.id,
                profile: None,
                service: DEFAULT_SERVICE.into(),
                bandwidth_mbps: a.bandwidth_mbps,
                redundancy: a.redundancy,
                technology: a.technology,
                monthly_price: None,
                activated_at: Some(a.activated_at),
                probe_targets: a.probe_targets.clone(),
            };
            accesses.push(draft.validate(site, lot, prices, now)?);
        }
        let saved = tx.insert_accesses(&accesses).await?;
        record_created(&mut tx, &actor, now, "access", &saved, |a| a.id.0).await?;
        // The contract rules in force (DOMAIN §5–§6 defaults), one version per
        // lot from the contract's start, so that they can be seen and edited.
        let rules = ImrRules::default();
        let json = serde_json::to_string(&rules).map_err(|e| AppError::Internal(e.to_string()))?;
        for (lot, _) in &lots {
            let r = tx.put_rules(lot.id, net.contract.starts_on, &json, now).await?;
            let shown = serde_json::json!({
                "lot_id": r.lot_id, "effective_from": r.effective_from, "rules": rules,
            });
            record(
                &mut tx,
                &actor,
                now,
                Action::Create,
                "contract_rules",
                Some(r.id.0),
                None::<&()>,
                Some(&shown),
            )
            .await?;
        }
        load_demo_incidents(&mut tx, &actor, now, &net, &saved).await?;
        let mut users = Vec::new();
        for (u, hash) in net.users.iter().zip(hashes) {
            let record_ = tx
                .insert_user(&NewUser {
                    login: u.login.clone(),
                    name: u.name.clone(),
                    email: format!("{}@demo.redegov.example", u.login),
                    role: u.role,
                    agency_id: u.agency.map(|i| agencies[i].id),
                    operator_id: u.operator.map(|i| operators[i].id),
                    password_hash: hash,
                    created_at: now,
                })
                .await
                .map_err(AppError::unique(&["login"]))?;
            let shown = User::from(&record_);
            record(&mut tx, &actor, now, Action::Create, "user", Some(shown.id.0), None::<&()>, Some(&shown))
                .await?;
            users.push((u.login.clone(), u.role, u.password.clone()));
        }
        // A Minas Gerais network: its deadlines count MG's holidays.
        let before = tx.calendar_settings().await?;
        let settings = redegov_store::calendar::CalendarSettings {
            state: Some("MG".into()),
            updated_at: now,
            ..before.clone()
        };
        tx.set_calendar_settings(&settings).await?;
        record(
            &mut tx,
            &actor,
            now,
            Action::Update,
            "calendar_settings",
            None,
            Some(&before.state),
            Some(&settings.state),
        )
        .await?;
        tx.commit().await?;
        let orders = self.load_demo_orders().await?;
        let adhesions = self.load_demo_adhesions().await?;
        Ok(Some(DemoLoaded {
            summary: format!("{}, {orders} ordens de serviço, {adhesions} adesões", net.summary()),
            users,
        }))
    }
}

/// The demo's confirmed incidents and approved maintenance windows
/// ([`demo_incidents`]), so that its months have something to close.
async fn load_demo_incidents(
    tx: &mut Tx,
    actor: &Actor,
    now: Timestamp,
    net: &DemoNetwork,
    accesses: &[Access],
) -> AppResult<()> {
    let (incidents, windows) = demo_incidents(net);
    let mut news = Vec::with_capacity(incidents.len());
    for i in &incidents {
        let probe_target = match i.link {
            Some(l) => Some(
                net.accesses[i.access].probe_targets[l]
                    .parse()
                    .map_err(|e| AppError::Internal(format!("demo probe target: {e}")))?,
            ),
            None => None,
        };
        news.push(NewIncident {
            access_id: accesses[i.access].id,
            probe_target,
            started_at: i.started_at,
            ended_at: Some(i.ended_at),
            responsibility: i.responsibility,
            status: IncidentStatus::Confirmed,
            cause: i.cause.into(),
            ticket: i.ticket.clone(),
            clock_stops: i.clock_stops.clone(),
            notes: String::new(),
            source: IncidentSource::Monitor,
        });
    }
    let saved = tx.insert_incidents(&news, now).await?;
    record_created(tx, actor, now, "incident", &saved, |i| i.id.0).await?;
    for w in &windows {
        let mut window = tx
            .insert_window(&NewWindow {
                target: WindowTarget::Access(accesses[w.access].id),
                starts_at: w.starts_at,
                ends_at: w.ends_at,
                announced_at: w.announced_at,
                description: w.description.into(),
                created_by: None,
            })
            .await?;
        record(
            tx,
            actor,
            now,
            Action::Create,
            "maintenance_window",
            Some(window.id.0),
            None::<&()>,
            Some(&window),
        )
        .await?;
        let before = window.clone();
        window.status = WindowStatus::Approved;
        window.decided_at = Some(w.announced_at + chrono::Duration::hours(24));
        tx.decide_window(&window).await?;
        record(
            tx,
            actor,
            now,
            Action::Update,
            "maintenance_window",
            Some(window.id.0),
            Some(&before),
            Some(&window),
        )
        .await?;
    }
    Ok(())
}

impl App {
    /// Nine orders on nine active accesses, one per stage: submitted, sent
    /// to the operator, survey scheduled, surveyed with the agency's item
    /// open (its clock paused), in execution, executed, awaiting the agency,
    /// completed, cancelled. Types that change no inventory, so the demo's
    /// accesses and closings stay as they are.
    async fn load_demo_orders(&self) -> AppResult<usize> {
        use redegov_domain::order::{Command, OrderSpec, Party, PendingDraft, SecurityChange};
        let sys = Actor::system();
        let active = crate::InventoryFilter { status: Some("active".into()), ..Default::default() };
        let accesses = self.list_accesses(&sys, active, crate::Page { page: 1, page_size: 9 }).await?.items;
        let visit = self.now() + chrono::Duration::days(3);
        let survey = || Command::ScheduleSurvey { at: visit };
        let executed = || Command::ReportExecution {
            report: "Configuração aplicada e testada com o órgão".into(),
            probe_targets: vec![],
        };
        let steps: [Vec<Command>; 9] = [
            vec![],
            vec![Command::Validate],
            vec![Command::Validate, survey()],
            vec![
                Command::Validate,
                survey(),
                Command::ReportSurvey {
                    report: "Rack sem tomada livre".into(),
                    pending: vec![PendingDraft {
                        party: Party::Agency,
                        description: "Instalar tomada no rack de telecomunicações".into(),
                    }],
                },
            ],
            vec![Command::Validate, Command::StartExecution],
            vec![Command::Validate, Command::StartExecution, executed()],
            vec![Command::Validate, Command::StartExecution, executed(), Command::AcceptTechnical],
            vec![
                Command::Validate,
                Command::StartExecution,
                executed(),
                Command::AcceptTechnical,
                Command::Accept,
            ],
            vec![Command::Cancel { reason: "Aberta em duplicidade".into() }],
        ];
        for (i, (row, steps)) in accesses.iter().zip(steps).enumerate() {
            let access_id = row.access.id;
            let spec = match i % 3 {
                0 => OrderSpec::CpeConfigChange {
                    access_id,
                    description: "Liberar a porta 443 para o sistema de protocolo".into(),
                },
                1 => OrderSpec::SecurityRuleChange {
                    access_id,
                    change: SecurityChange::Block,
                    description: "Bloquear tráfego P2P".into(),
                },
                _ => OrderSpec::CpeRelocation {
                    access_id,
                    description: "Levar o roteador para a sala do CPD, mesmo andar".into(),
                },
            };
            let order = self.create_order(&sys, crate::orders::OrderInput { spec, submit: true }).await?;
            for command in steps {
                self.transition_order(&sys, order.row.order.id, command).await?;
            }
        }
        Ok(accesses.len().min(9))
    }

    /// Joining the network, through the use cases: a private and a public
    /// address pool; Nova Lima's adhesion approved by the committee, its two
    /// responsible persons active (with accounts and invitations) and its
    /// technical form's blocks allocated; and a new municipality, Mariana,
    /// whose request is under review — the committee's queue has it.
    async fn load_demo_adhesions(&self) -> AppResult<usize> {
        use crate::adhesions::DocumentInput;
        use crate::ipam::NewPool;
        use crate::responsibles::FormPools;
        use redegov_domain::adhesion::{AdhesionAction, PersonInput, TechnicalFormInput, required_documents};
        let sys = Actor::system();
        let committee = Actor { role: Role::Committee, ..Actor::system() };
        let pool = |name: &str, cidr: &str, visibility: &str| NewPool {
            name: name.into(),
            cidr: cidr.into(),
            visibility: visibility.into(),
        };
        let private =
            self.create_ip_pool(&sys, pool("Intranet do Estado", "10.128.0.0/12", "private")).await?;
        let public = self
            .create_ip_pool(&sys, pool("Internet — blocos públicos", "198.51.100.0/24", "public"))
            .await?;
        let search = crate::InventoryFilter { search: Some("Nova Lima".into()), ..Default::default() };
        let nova_lima = self
            .list_agencies(&sys, search, crate::Page::all())
            .await?
            .items
            .into_iter()
            .find(|a| a.acronym == "PMNL")
            .ok_or_else(|| AppError::Internal("demo: Nova Lima is missing".into()))?
            .id;
        let cnpj = redegov_domain::document::Cnpj::from_base("182952870001")
            .ok_or_else(|| AppError::Internal("demo: CNPJ".into()))?;
        let mariana = self
            .create_agency(
                &sys,
                NewAgency::new(
                    "Prefeitura Municipal de Mariana",
                    "PMMA",
                    cnpj.as_str(),
                    AgencyKind::Municipality,
                )?,
            )
            .await?
            .id;
        let person = |position: &str, name: &str, cpf: &str, email: &str, title: &str| PersonInput {
            position: position.into(),
            name: name.into(),
            cpf: redegov_domain::document::Cpf::from_base(cpf).map(|c| c.masked()).unwrap_or_default(),
            registration: String::new(),
            email: email.into(),
            phone: "(31) 3581-0000".into(),
            mobile: String::new(),
            job_title: title.into(),
            department: "Secretaria de Administração".into(),
        };
        let towns = [
            (
                nova_lima,
                [
                    person(
                        "primary",
                        "Luciana Prado Teixeira",
                        "318204957",
                        "luciana.teixeira@novalima.mg.gov.br",
                        "Diretora de TI",
                    ),
                    person(
                        "substitute",
                        "Marcos Vinícius Rocha",
                        "427315068",
                        "marcos.rocha@novalima.mg.gov.br",
                        "Analista de redes",
                    ),
                ],
                true,
            ),
            (
                mariana,
                [
                    person(
                        "primary",
                        "Beatriz Campos Lage",
                        "536426179",
                        "beatriz.lage@mariana.mg.gov.br",
                        "Secretária de Administração",
                    ),
                    person(
                        "substitute",
                        "Otávio Mendes Reis",
                        "645537281",
                        "otavio.reis@mariana.mg.gov.br",
                        "Coordenador de TI",
                    ),
                ],
                false,
            ),
        ];
        let count = towns.len();
        for (agency, persons, approve) in towns {
            let id = self
                .request_adhesion(&sys, agency, "Ofício nº 12/2026 do gabinete do prefeito")
                .await?
                .adhesion
                .id;
            for kind in required_documents(AgencyKind::Municipality) {
                let input = DocumentInput {
                    kind: kind.as_str().into(),
                    name: format!("{}.pdf", kind.as_str()),
                    content_type: "application/pdf".into(),
                    data: DEMO_PDF.to_vec(),
                };
                self.attach_adhesion_document(&sys, id, input).await?;
            }
            self.request_responsibles(&sys, agency, &persons, "Anexo I assinado pelo prefeito").await?;
            let form = self
                .submit_technical_form(
                    &sys,
                    agency,
                    TechnicalFormInput {
                        applications: vec![
                            (
                                "SEI — Sistema Eletrônico de Informações".into(),
                                "Secretaria de Planejamento".into(),
                            ),
                            ("Portal do Detran".into(), "Departamento de Trânsito".into()),
                        ],
                        private_blocks: 2,
                        public_blocks: 1,
                        contact_name: persons[1].name.clone(),
                        contact_phone: persons[1].phone.clone(),
                        contact_email: persons[1].email.clone(),
                    },
                )
                .await?;
            self.act_on_adhesion(&sys, id, AdhesionAction::Review, "").await?;
            if approve {
                self.act_on_adhesion(&committee, id, AdhesionAction::Approve, "").await?;
                let pools = FormPools { private_pool: Some(private.id), public_pool: Some(public.id) };
                self.decide_technical_form(&sys, form.id, true, "", pools).await?;
            }
        }
        Ok(count)
    }
}

/// The demo's "signed" documents: a one-page blank PDF.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";
