//! Saving and loading the network inventory. Plain reads and writes; every
//! filter here is one the app layer asked for (including the scope filters
//! that keep an agency or an operator inside its own data).

use crate::query::{Filter, MAX_ROWS_PER_INSERT, Value, push_placeholders};
use crate::{Page, StoreError, Tx, code, date, opt_date, opt_time};
use redegov_domain::document::Cnpj;
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::text::{fold, search_key};
use redegov_domain::time::from_epoch;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::net::IpAddr;

fn cnpj(row: &AnyRow, col: &str) -> Result<Cnpj, StoreError> {
    code(row, col, Cnpj::parse)
}

pub(crate) fn id(row: &AnyRow) -> Result<i64, StoreError> {
    Ok(row.try_get("id")?)
}

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt_iso(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(iso)
}

pub(crate) fn count_of(row: &AnyRow) -> Result<i64, StoreError> {
    Ok(row.try_get(0)?)
}

/// A page of rows and the total number of rows that match.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Filters shared by the inventory lists. `None` means "do not filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryFilter {
    pub agency_id: Option<AgencyId>,
    pub site_id: Option<SiteId>,
    pub lot_id: Option<LotId>,
    pub contract_id: Option<ContractId>,
    /// Lots held by this operator, alone or in a consortium.
    pub operator_id: Option<OperatorId>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub municipality_ibge: Option<i64>,
    /// Case-insensitive text search over names and codes.
    pub search: Option<String>,
}

/// The lots an operator holds, alone or as a consortium member, as SQL.
pub(crate) fn operator_lots_sql(f: &mut Filter, operator: OperatorId) -> String {
    let a = f.bind(Value::Int(operator.0));
    let b = f.bind(Value::Int(operator.0));
    format!(
        "SELECT id FROM lots WHERE operator_id = {a} OR consortium_id IN \
         (SELECT consortium_id FROM consortium_members WHERE operator_id = {b})"
    )
}

/// A `LIKE` pattern over a folded search key. `%` and `_` typed by a user
/// match themselves only approximately; acceptable for a search box.
pub(crate) fn like(search: &Option<String>) -> Option<String> {
    search.as_ref().map(|s| format!("%{}%", fold(s)))
}

fn site_key(name: &str, address: &str, municipality: &str) -> String {
    search_key(&[name, address, municipality])
}

impl Tx {
    pub(crate) async fn list<T>(
        &mut self,
        select: &str,
        count: &str,
        mut filter: Filter,
        order: &str,
        page: Page,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Listed<T>, StoreError> {
        let where_sql = filter.where_sql();
        let total = count_of(&filter.query(format!("{count}{where_sql}")).fetch_one(self.conn()).await?)?;
        let page_sql = filter.page_sql(page);
        let rows = filter
            .query(format!("{select}{where_sql} ORDER BY {order}{page_sql}"))
            .fetch_all(self.conn())
            .await?;
        let items = rows.iter().map(decode).collect::<Result<_, _>>()?;
        Ok(Listed { items, total })
    }

    // ----- operators -----

    pub async fn insert_operator(&mut self, o: &NewOperator) -> Result<Operator, StoreError> {
        let row =
            sqlx::query("INSERT INTO operators (name, cnpj, search_text) VALUES ($1, $2, $3) RETURNING id")
                .bind(&o.name)
                .bind(o.cnpj.as_str())
                .bind(search_key(&[&o.name]))
                .fetch_one(self.conn())
                .await?;
        Ok(Operator { id: OperatorId(id(&row)?), name: o.name.clone(), cnpj: o.cnpj.clone() })
    }

    pub async fn update_operator(&mut self, o: &Operator) -> Result<(), StoreError> {
        sqlx::query("UPDATE operators SET name = $1, cnpj = $2, search_text = $3 WHERE id = $4")
            .bind(&o.name)
            .bind(o.cnpj.as_str())
            .bind(search_key(&[&o.name]))
            .bind(o.id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn operator(&mut self, id: OperatorId) -> Result<Operator, StoreError> {
        let row = sqlx::query("SELECT id, name, cnpj FROM operators WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_operator(&row)
    }

    pub async fn list_operators(
        &mut self,
        f: &InventoryFilter,
        page: Page,
    ) -> Result<Listed<Operator>, StoreError> {
        let mut q = Filter::default();
        if let Some(op) = f.operator_id {
            q.push("id = {}", Value::Int(op.0));
        }
        if let Some(s) = like(&f.search) {
            q.push("search_text LIKE {}", Value::Text(s));
        }
        self.list(
            "SELECT id, name, cnpj FROM operators",
            "SELECT COUNT(*) FROM operators",
            q,
            "name, id",
            page,
            decode_operator,
        )
        .await
    }

    pub async fn delete_operator(&mut self, id: OperatorId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM operators WHERE id = $1", id.0).await
    }

    // ----- consortia -----

    pub async fn insert_consortium(&mut self, c: &NewConsortium) -> Result<Consortium, StoreError> {
        let row = sqlx::query("INSERT INTO consortia (name) VALUES ($1) RETURNING id")
            .bind(&c.name)
            .fetch_one(self.conn())
            .await?;
        let consortium =
            Consortium { id: ConsortiumId(id(&row)?), name: c.name.clone(), members: c.members.clone() };
        self.write_members(&consortium).await?;
        Ok(consortium)
    }

    async fn write_members(&mut self, c: &Consortium) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM consortium_members WHERE consortium_id = $1")
            .bind(c.id.0)
            .execute(self.conn())
            .await?;
        for m in &c.members {
            sqlx::query(
                "INSERT INTO consortium_members (consortium_id, operator_id, share_bp) VALUES ($1, $2, $3)",
            )
            .bind(c.id.0)
            .bind(m.operator_id.0)
            .bind(m.share_bp)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn update_consortium(&mut self, c: &Consortium) -> Result<(), StoreError> {
        sqlx::query("UPDATE consortia SET name = $1 WHERE id = $2")
            .bind(&c.name)
            .bind(c.id.0)
            .execute(self.conn())
            .await?;
        self.write_members(c).await
    }

    pub async fn consortium(&mut self, id: ConsortiumId) -> Result<Consortium, StoreError> {
        let row = sqlx::query("SELECT id, name FROM consortia WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        let members = self.members(id).await?;
        Ok(Consortium { id, name: row.try_get("name")?, members })
    }

    async fn members(&mut self, id: ConsortiumId) -> Result<Vec<ConsortiumMember>, StoreError> {
        let rows = sqlx::query(
            "SELECT operator_id, share_bp FROM consortium_members WHERE consortium_id = $1 ORDER BY operator_id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok(ConsortiumMember { operator_id: OperatorId(r.try_get(0)?), share_bp: r.try_get(1)? }))
            .collect()
    }

    pub async fn list_consortia(
        &mut self,
        f: &InventoryFilter,
        page: Page,
    ) -> Result<Listed<Consortium>, StoreError> {
        let mut q = Filter::default();
        if let Some(op) = f.operator_id {
            q.push(
                "id IN (SELECT consortium_id FROM consortium_members WHERE operator_id = {})",
                Value::Int(op.0),
            );
        }
        let listed = self
            .list(
                "SELECT id, name FROM consortia",
                "SELECT COUNT(*) FROM consortia",
                q,
                "name, id",
                page,
                |r| {
                    Ok(Consortium {
                        id: ConsortiumId(r.try_get("id")?),
                        name: r.try_get("name")?,
                        members: vec![],
                    })
                },
            )
            .await?;
        let mut items = Vec::with_capacity(listed.items.len());
        for mut c in listed.items {
            c.members = self.members(c.id).await?;
            items.push(c);
        }
        Ok(Listed { items, total: listed.total })
    }

    pub async fn delete_consortium(&mut self, id: ConsortiumId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM consortia WHERE id = $1", id.0).await
    }

    // ----- contracts -----

    pub async fn insert_contract(&mut self, c: &NewContract) -> Result<Contract, StoreError> {
        let row = sqlx::query(
            "INSERT INTO contracts (number, starts_on, ends_on, ceiling_centavos) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&c.number)
        .bind(iso(c.starts_on))
        .bind(iso(c.ends_on))
        .bind(c.ceiling.centavos())
        .fetch_one(self.conn())
        .await?;
        Ok(Contract {
            id: ContractId(id(&row)?),
            number: c.number.clone(),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            ceiling: c.ceiling,
        })
    }

    pub async fn update_contract(&mut self, c: &Contract) -> Result<(), StoreError> {
        sqlx::query("UPDATE contracts SET number = $1, starts_on = $2, ends_on = $3, ceiling_centavos = $4 WHERE id = $5")
            .bind(&c.number)
            .bind(iso(c.starts_on))
            .bind(iso(c.ends_on))
            .bind(c.ceiling.centavos())
            .bind(c.id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn contract(&mut self, id: ContractId) -> Result<Contract, StoreError> {
        let row =
            sqlx::query("SELECT * FROM contracts WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode_contract(&row)
    }

    pub async fn list_contracts(
        &mut self,
        f: &InventoryFilter,
        page: Page,
    ) -> Result<Listed<Contract>, StoreError> {
        let mut q = Filter::default();
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("id IN (SELECT contract_id FROM lots WHERE id IN ({lots}))"));
        }
        self.list(
            "SELECT * FROM contracts",
            "SELECT COUNT(*) FROM contracts",
            q,
            "number, id",
            page,
            decode_contract,
        )
        .await
    }

    pub async fn delete_contract(&mut self, id: ContractId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM contracts WHERE id = $1", id.0).await
    }

    // ----- lots -----

    pub async fn insert_lot(&mut self, l: &NewLot) -> Result<Lot, StoreError> {
        let (operator, consortium) = holder_columns(l.holder);
        let row = sqlx::query(
            "INSERT INTO lots (contract_id, code, operator_id, consortium_id, profile, description, starts_on, ends_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(l.contract_id.0)
        .bind(&l.code)
        .bind(operator)
        .bind(consortium)
        .bind(l.profile.as_str())
        .bind(&l.description)
        .bind(opt_iso(l.starts_on))
        .bind(opt_iso(l.ends_on))
        .fetch_one(self.conn())
        .await?;
        let lot = Lot {
            id: LotId(id(&row)?),
            contract_id: l.contract_id,
            code: l.code.clone(),
            holder: l.holder,
            profile: l.profile,
            region: l.region.clone(),
            description: l.description.clone(),
            starts_on: l.starts_on,
            ends_on: l.ends_on,
        };
        self.write_region(&lot).await?;
        Ok(lot)
    }

    async fn write_region(&mut self, lot: &Lot) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM lot_municipalities WHERE lot_id = $1")
            .bind(lot.id.0)
            .execute(self.conn())
            .await?;
        for code in lot.region.codes() {
            sqlx::query("INSERT INTO lot_municipalities (lot_id, ibge_code) VALUES ($1, $2)")
                .bind(lot.id.0)
                .bind(i64::from(code))
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn update_lot(&mut self, l: &Lot) -> Result<(), StoreError> {
        let (operator, consortium) = holder_columns(l.holder);
        sqlx::query(
            "UPDATE lots SET contract_id = $1, code = $2, operator_id = $3, consortium_id = $4, profile = $5, \
             description = $6, starts_on = $7, ends_on = $8 WHERE id = $9",
        )
        .bind(l.contract_id.0)
        .bind(&l.code)
        .bind(operator)
        .bind(consortium)
        .bind(l.profile.as_str())
        .bind(&l.description)
        .bind(opt_iso(l.starts_on))
        .bind(opt_iso(l.ends_on))
        .bind(l.id.0)
        .execute(self.conn())
        .await?;
        self.write_region(l).await
    }

    pub async fn lot(&mut self, id: LotId) -> Result<Lot, StoreError> {
        let row = sqlx::query("SELECT * FROM lots WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        let mut lot = decode_lot(&row)?;
        lot.region = self.region(id).await?;
        Ok(lot)
    }

    async fn region(&mut self, id: LotId) -> Result<Region, StoreError> {
        let rows = sqlx::query("SELECT ibge_code FROM lot_municipalities WHERE lot_id = $1")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?;
        if rows.is_empty() {
            return Ok(Region::Any);
        }
        let codes = rows
            .iter()
            .map(|r| {
                let c: i64 = r.try_get(0)?;
                u32::try_from(c).map_err(|_| StoreError::Corrupt(format!("ibge code {c}")))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Region::Municipalities(codes))
    }

    pub async fn list_lots(&mut self, f: &InventoryFilter, page: Page) -> Result<Listed<Lot>, StoreError> {
        let mut q = Filter::default();
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("id IN ({lots})"));
        }
        q.int("contract_id = {}", f.contract_id.map(|c| c.0));
        let listed = self
            .list("SELECT * FROM lots", "SELECT COUNT(*) FROM lots", q, "code, id", page, decode_lot)
            .await?;
        let mut items = Vec::with_capacity(listed.items.len());
        for mut lot in listed.items {
            lot.region = self.region(lot.id).await?;
            items.push(lot);
        }
        Ok(Listed { items, total: listed.total })
    }

    pub async fn delete_lot(&mut self, id: LotId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM lots WHERE id = $1", id.0).await
    }

    /// Whether this operator holds this lot, alone or in a consortium.
    pub async fn operator_holds_lot(&mut self, operator: OperatorId, lot: LotId) -> Result<bool, StoreError> {
        let mut q = Filter::default();
        let lots = operator_lots_sql(&mut q, operator);
        let lot_param = q.bind(Value::Int(lot.0));
        let row = q
            .query(format!("SELECT COUNT(*) FROM ({lots}) held WHERE id = {lot_param}"))
            .fetch_one(self.conn())
            .await?;
        Ok(count_of(&row)? > 0)
    }

    // ----- prices -----

    pub async fn insert_price(&mut self, p: &NewPrice) -> Result<Price, StoreError> {
        let row = sqlx::query(
            "INSERT INTO prices (lot_id, service, bandwidth_mbps, area, monthly_price_centavos, effective_from, \
             effective_to) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(p.lot_id.0)
        .bind(&p.service)
        .bind(p.bandwidth_mbps)
        .bind(p.area.as_str())
        .bind(p.monthly_price.centavos())
        .bind(iso(p.effective_from))
        .bind(opt_iso(p.effective_to))
        .fetch_one(self.conn())
        .await?;
        Ok(Price {
            id: PriceId(id(&row)?),
            lot_id: p.lot_id,
            service: p.service.clone(),
            bandwidth_mbps: p.bandwidth_mbps,
            area: p.area,
            monthly_price: p.monthly_price,
            effective_from: p.effective_from,
            effective_to: p.effective_to,
        })
    }

    pub async fn price(&mut self, id: PriceId) -> Result<Price, StoreError> {
        let row = sqlx::query("SELECT * FROM prices WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode_price(&row)
    }

    pub async fn prices_of_lot(&mut self, lot: LotId) -> Result<Vec<Price>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM prices WHERE lot_id = $1 ORDER BY service, bandwidth_mbps, area, effective_from, id",
        )
        .bind(lot.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_price).collect()
    }

    pub async fn update_price(&mut self, p: &Price) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE prices SET service = $1, bandwidth_mbps = $2, area = $3, monthly_price_centavos = $4, \
             effective_from = $5, effective_to = $6 WHERE id = $7",
        )
        .bind(&p.service)
        .bind(p.bandwidth_mbps)
        .bind(p.area.as_str())
        .bind(p.monthly_price.centavos())
        .bind(iso(p.effective_from))
        .bind(opt_iso(p.effective_to))
        .bind(p.id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_price(&mut self, id: PriceId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM prices WHERE id = $1", id.0).await
    }

    // ----- agencies -----

    pub async fn insert_agency(&mut self, a: &NewAgency) -> Result<Agency, StoreError> {
        let row = sqlx::query(
            "INSERT INTO agencies (name, acronym, cnpj, kind, search_text) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&a.name)
        .bind(&a.acronym)
        .bind(a.cnpj.as_str())
        .bind(a.kind.as_str())
        .bind(search_key(&[&a.name, &a.acronym]))
            .fetch_one(self.conn())
            .await?;
        Ok(Agency {
            id: AgencyId(id(&row)?),
            name: a.name.clone(),
            acronym: a.acronym.clone(),
            cnpj: a.cnpj.clone(),
            kind: a.kind,
        })
    }

    pub async fn update_agency(&mut self, a: &Agency) -> Result<(), StoreError> {
        sqlx::query("UPDATE agencies SET name = $1, acronym = $2, cnpj = $3, kind = $4, search_text = $5 WHERE id = $6")
            .bind(&a.name)
            .bind(&a.acronym)
            .bind(a.cnpj.as_str())
            .bind(a.kind.as_str())
            .bind(search_key(&[&a.name, &a.acronym]))
            .bind(a.id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn agency(&mut self, id: AgencyId) -> Result<Agency, StoreError> {
        let row =
            sqlx::query("SELECT * FROM agencies WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode_agency(&row)
    }

    pub async fn list_agencies(
        &mut self,
        f: &InventoryFilter,
        page: Page,
    ) -> Result<Listed<Agency>, StoreError> {
        let mut q = Filter::default();
        q.int("id = {}", f.agency_id.map(|a| a.0));
        q.text("kind = {}", f.kind.as_deref());
        if let Some(s) = like(&f.search) {
            q.push("search_text LIKE {}", Value::Text(s));
        }
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!(
                "id IN (SELECT s.agency_id FROM sites s JOIN accesses a ON a.site_id = s.id WHERE a.lot_id IN ({lots}))"
            ));
        }
        self.list(
            "SELECT * FROM agencies",
            "SELECT COUNT(*) FROM agencies",
            q,
            "acronym, id",
            page,
            decode_agency,
        )
        .await
    }

    pub async fn delete_agency(&mut self, id: AgencyId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM agencies WHERE id = $1", id.0).await
    }

    // ----- sites -----

    pub async fn insert_site(&mut self, s: &NewSite) -> Result<Site, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sites (agency_id, name, address, municipality_ibge, municipality_name, area, zone, \
             contact_name, contact_phone, contact_email, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(s.agency_id.0)
        .bind(&s.name)
        .bind(&s.address)
        .bind(i64::from(s.municipality_ibge))
        .bind(&s.municipality_name)
        .bind(s.area.as_str())
        .bind(s.zone.as_str())
        .bind(&s.contact_name)
        .bind(&s.contact_phone)
        .bind(&s.contact_email)
        .bind(site_key(&s.name, &s.address, &s.municipality_name))
        .fetch_one(self.conn())
        .await?;
        Ok(Site {
            id: SiteId(id(&row)?),
            agency_id: s.agency_id,
            name: s.name.clone(),
            address: s.address.clone(),
            municipality_ibge: s.municipality_ibge,
            municipality_name: s.municipality_name.clone(),
            area: s.area,
            zone: s.zone,
            contact_name: s.contact_name.clone(),
            contact_phone: s.contact_phone.clone(),
            contact_email: s.contact_email.clone(),
        })
    }

    pub async fn update_site(&mut self, s: &Site) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sites SET agency_id = $1, name = $2, address = $3, municipality_ibge = $4, municipality_name = $5, \
             area = $6, zone = $7, contact_name = $8, contact_phone = $9, contact_email = $10, search_text = $11 \
             WHERE id = $12",
        )
        .bind(s.agency_id.0)
        .bind(&s.name)
        .bind(&s.address)
        .bind(i64::from(s.municipality_ibge))
        .bind(&s.municipality_name)
        .bind(s.area.as_str())
        .bind(s.zone.as_str())
        .bind(&s.contact_name)
        .bind(&s.contact_phone)
        .bind(&s.contact_email)
        .bind(site_key(&s.name, &s.address, &s.municipality_name))
        .bind(s.id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn site(&mut self, id: SiteId) -> Result<Site, StoreError> {
        let row = sqlx::query("SELECT * FROM sites WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode_site(&row)
    }

    pub async fn list_sites(&mut self, f: &InventoryFilter, page: Page) -> Result<Listed<Site>, StoreError> {
        let mut q = Filter::default();
        q.int("agency_id = {}", f.agency_id.map(|a| a.0));
        q.int("municipality_ibge = {}", f.municipality_ibge);
        if let Some(s) = like(&f.search) {
            q.push("search_text LIKE {}", Value::Text(s));
        }
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("id IN (SELECT site_id FROM accesses WHERE lot_id IN ({lots}))"));
        }
        self.list("SELECT * FROM sites", "SELECT COUNT(*) FROM sites", q, "id", page, decode_site).await
    }

    pub async fn delete_site(&mut self, id: SiteId) -> Result<(), StoreError> {
        delete(self, "DELETE FROM sites WHERE id = $1", id.0).await
    }

    // ----- accesses -----

    /// Inserts one access: the batch path with a single row, so the column
    /// list and its bindings are written once.
    pub async fn insert_access(&mut self, a: &NewAccess) -> Result<Access, StoreError> {
        let mut saved = self.insert_accesses(std::slice::from_ref(a)).await?;
        saved.pop().ok_or_else(|| StoreError::Corrupt("an insert returned no id".into()))
    }

    /// Inserts many accesses with multi-row `INSERT … RETURNING id`. Within one
    /// statement both backends assign ids in row order, so the sorted ids map
    /// back onto the input order.
    pub async fn insert_accesses(&mut self, accesses: &[NewAccess]) -> Result<Vec<Access>, StoreError> {
        const COLUMNS: usize = 13;
        let mut out = Vec::with_capacity(accesses.len());
        for chunk in accesses.chunks(MAX_ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO accesses (site_id, lot_id, profile, service, bandwidth_mbps, redundancy, technology, \
                 status, requested_at, activated_at, monthly_price_centavos, price_overridden, probe_targets) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), COLUMNS);
            sql.push_str(" RETURNING id");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q
                    .bind(a.site_id.0)
                    .bind(a.lot_id.0)
                    .bind(a.profile.as_str())
                    .bind(a.service.clone())
                    .bind(a.bandwidth_mbps)
                    .bind(a.redundancy.as_str())
                    .bind(a.technology.as_str())
                    .bind(a.status.as_str())
                    .bind(a.requested_at.timestamp())
                    .bind(a.activated_at.map(|t| t.timestamp()))
                    .bind(a.monthly_price.centavos())
                    .bind(i64::from(a.price_overridden))
                    .bind(join_targets(&a.probe_targets));
            }
            let mut ids = q.fetch_all(self.conn()).await?.iter().map(id).collect::<Result<Vec<_>, _>>()?;
            ids.sort_unstable();
            if ids.len() != chunk.len() {
                return Err(StoreError::Corrupt(format!("{} ids for {} rows", ids.len(), chunk.len())));
            }
            out.extend(chunk.iter().zip(ids).map(|(a, id)| new_access_row(AccessId(id), a)));
        }
        Ok(out)
    }

    pub async fn update_access(&mut self, a: &Access) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE accesses SET site_id = $1, lot_id = $2, profile = $3, service = $4, bandwidth_mbps = $5, \
             redundancy = $6, technology = $7, status = $8, requested_at = $9, activated_at = $10, suspended_at = $11, \
             deactivated_at = $12, monthly_price_centavos = $13, price_overridden = $14, probe_targets = $15 \
             WHERE id = $16",
        )
        .bind(a.site_id.0)
        .bind(a.lot_id.0)
        .bind(a.profile.as_str())
        .bind(&a.service)
        .bind(a.bandwidth_mbps)
        .bind(a.redundancy.as_str())
        .bind(a.technology.as_str())
        .bind(a.status.as_str())
        .bind(a.requested_at.timestamp())
        .bind(a.activated_at.map(|t| t.timestamp()))
        .bind(a.suspended_at.map(|t| t.timestamp()))
        .bind(a.deactivated_at.map(|t| t.timestamp()))
        .bind(a.monthly_price.centavos())
        .bind(i64::from(a.price_overridden))
        .bind(join_targets(&a.probe_targets))
        .bind(a.id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn access(&mut self, id: AccessId) -> Result<AccessRow, StoreError> {
        let mut q = Filter::default();
        q.push("a.id = {}", Value::Int(id.0));
        let row = q.query(format!("{ACCESS_SELECT}{}", q.where_sql())).fetch_one(self.conn()).await?;
        decode_access_row(&row)
    }

    pub async fn list_accesses(
        &mut self,
        f: &InventoryFilter,
        page: Page,
    ) -> Result<Listed<AccessRow>, StoreError> {
        let mut q = Filter::default();
        q.int("a.site_id = {}", f.site_id.map(|s| s.0));
        q.int("a.lot_id = {}", f.lot_id.map(|l| l.0));
        q.int("s.agency_id = {}", f.agency_id.map(|a| a.0));
        q.int("s.municipality_ibge = {}", f.municipality_ibge);
        q.text("a.status = {}", f.status.as_deref());
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("a.lot_id IN ({lots})"));
        }
        if let Some(s) = like(&f.search) {
            let a = q.bind(Value::Text(s.clone()));
            let b = q.bind(Value::Text(s.clone()));
            let c = q.bind(Value::Text(s));
            q.push_raw(format!(
                "(s.search_text LIKE {a} OR ag.search_text LIKE {b} OR a.probe_targets LIKE {c})"
            ));
        }
        self.list(ACCESS_SELECT, ACCESS_COUNT, q, "a.id", page, decode_access_row).await
    }

    /// Counts of accesses per (status, lot code, holder name) in the caller's
    /// filter, for dashboards; also the monthly value of active accesses.
    pub async fn access_summary(&mut self, f: &InventoryFilter) -> Result<Vec<AccessSummaryRow>, StoreError> {
        let mut q = Filter::default();
        q.int("s.agency_id = {}", f.agency_id.map(|a| a.0));
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("a.lot_id IN ({lots})"));
        }
        let sql = format!(
            "SELECT a.status, l.id, l.code, COALESCE(o.name, c.name) AS holder, COUNT(*) AS n, \
             CAST(SUM(a.monthly_price_centavos) AS BIGINT) AS value \
             FROM accesses a JOIN sites s ON s.id = a.site_id JOIN lots l ON l.id = a.lot_id \
             LEFT JOIN operators o ON o.id = l.operator_id LEFT JOIN consortia c ON c.id = l.consortium_id{} \
             GROUP BY a.status, l.id, l.code, COALESCE(o.name, c.name) ORDER BY l.code, a.status",
            q.where_sql()
        );
        let rows = q.query(sql).fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(AccessSummaryRow {
                    status: code(r, "status", AccessStatus::parse)?,
                    lot_id: LotId(r.try_get(1)?),
                    lot_code: r.try_get(2)?,
                    holder: r.try_get(3)?,
                    count: r.try_get(4)?,
                    monthly_value: Money::from_centavos(r.try_get(5)?),
                })
            })
            .collect()
    }
}

/// An access with the names a list shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub access: Access,
    pub agency_id: AgencyId,
    pub agency_acronym: String,
    pub municipality_ibge: u32,
    pub municipality_name: String,
    pub site_address: String,
    pub lot_code: String,
}

/// One group of the access summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSummaryRow {
    pub status: AccessStatus,
    pub lot_id: LotId,
    pub lot_code: String,
    pub holder: String,
    pub count: i64,
    pub monthly_value: Money,
}

const ACCESS_SELECT: &str = "SELECT a.*, s.agency_id, ag.acronym AS agency_acronym, s.municipality_ibge, \
     s.municipality_name, s.address AS site_address, l.code AS lot_code \
     FROM accesses a JOIN sites s ON s.id = a.site_id JOIN agencies ag ON ag.id = s.agency_id \
     JOIN lots l ON l.id = a.lot_id";
const ACCESS_COUNT: &str = "SELECT COUNT(*) FROM accesses a JOIN sites s ON s.id = a.site_id \
     JOIN agencies ag ON ag.id = s.agency_id";

async fn delete(tx: &mut Tx, sql: &'static str, id: i64) -> Result<(), StoreError> {
    let done = sqlx::query(sql).bind(id).execute(tx.conn()).await?;
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

fn holder_columns(h: LotHolder) -> (Option<i64>, Option<i64>) {
    match h {
        LotHolder::Operator(o) => (Some(o.0), None),
        LotHolder::Consortium(c) => (None, Some(c.0)),
    }
}

/// The stored form of a just-inserted access.
fn new_access_row(id: AccessId, a: &NewAccess) -> Access {
    Access {
        id,
        site_id: a.site_id,
        lot_id: a.lot_id,
        profile: a.profile,
        service: a.service.clone(),
        bandwidth_mbps: a.bandwidth_mbps,
        redundancy: a.redundancy,
        technology: a.technology,
        status: a.status,
        requested_at: a.requested_at,
        activated_at: a.activated_at,
        suspended_at: None,
        deactivated_at: None,
        monthly_price: a.monthly_price,
        price_overridden: a.price_overridden,
        probe_targets: a.probe_targets.clone(),
    }
}

fn join_targets(targets: &[IpAddr]) -> String {
    targets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
}

fn decode_operator(r: &AnyRow) -> Result<Operator, StoreError> {
    Ok(Operator { id: OperatorId(id(r)?), name: r.try_get("name")?, cnpj: cnpj(r, "cnpj")? })
}

fn decode_contract(r: &AnyRow) -> Result<Contract, StoreError> {
    Ok(Contract {
        id: ContractId(id(r)?),
        number: r.try_get("number")?,
        starts_on: date(r, "starts_on")?,
        ends_on: date(r, "ends_on")?,
        ceiling: Money::from_centavos(r.try_get("ceiling_centavos")?),
    })
}

/// Decodes a lot without its region (loaded separately).
fn decode_lot(r: &AnyRow) -> Result<Lot, StoreError> {
    let operator: Option<i64> = r.try_get("operator_id")?;
    let consortium: Option<i64> = r.try_get("consortium_id")?;
    let holder = match (operator, consortium) {
        (Some(o), None) => LotHolder::Operator(OperatorId(o)),
        (None, Some(c)) => LotHolder::Consortium(ConsortiumId(c)),
        _ => return Err(StoreError::Corrupt("lot without exactly one holder".into())),
    };
    Ok(Lot {
        id: LotId(id(r)?),
        contract_id: ContractId(r.try_get("contract_id")?),
        code: r.try_get("code")?,
        holder,
        profile: code(r, "profile", Profile::parse)?,
        region: Region::Any,
        description: r.try_get("description")?,
        starts_on: opt_date(r, "starts_on")?,
        ends_on: opt_date(r, "ends_on")?,
    })
}

fn decode_price(r: &AnyRow) -> Result<Price, StoreError> {
    Ok(Price {
        id: PriceId(id(r)?),
        lot_id: LotId(r.try_get("lot_id")?),
        service: r.try_get("service")?,
        bandwidth_mbps: r.try_get("bandwidth_mbps")?,
        area: code(r, "area", Area::parse)?,
        monthly_price: Money::from_centavos(r.try_get("monthly_price_centavos")?),
        effective_from: date(r, "effective_from")?,
        effective_to: opt_date(r, "effective_to")?,
    })
}

fn decode_agency(r: &AnyRow) -> Result<Agency, StoreError> {
    Ok(Agency {
        id: AgencyId(id(r)?),
        name: r.try_get("name")?,
        acronym: r.try_get("acronym")?,
        cnpj: cnpj(r, "cnpj")?,
        kind: code(r, "kind", AgencyKind::parse)?,
    })
}

fn ibge(r: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v}")))
}

fn decode_site(r: &AnyRow) -> Result<Site, StoreError> {
    Ok(Site {
        id: SiteId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        municipality_ibge: ibge(r, "municipality_ibge")?,
        municipality_name: r.try_get("municipality_name")?,
        area: code(r, "area", Area::parse)?,
        zone: code(r, "zone", Zone::parse)?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        contact_email: r.try_get("contact_email")?,
    })
}

pub(crate) fn decode_access(r: &AnyRow) -> Result<Access, StoreError> {
    let targets: String = r.try_get("probe_targets")?;
    let probe_targets = targets
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|_| StoreError::Corrupt(format!("probe target {t:?}"))))
        .collect::<Result<_, _>>()?;
    Ok(Access {
        id: AccessId(id(r)?),
        site_id: SiteId(r.try_get("site_id")?),
        lot_id: LotId(r.try_get("lot_id")?),
        profile: code(r, "profile", Profile::parse)?,
        service: r.try_get("service")?,
        bandwidth_mbps: r.try_get("bandwidth_mbps")?,
        redundancy: code(r, "redundancy", Redundancy::parse)?,
        technology: code(r, "technology", Technology::parse)?,
        status: code(r, "status", AccessStatus::parse)?,
        requested_at: from_epoch(r.try_get("requested_at")?),
        activated_at: opt_time(r, "activated_at")?,
        suspended_at: opt_time(r, "suspended_at")?,
        deactivated_at: opt_time(r, "deactivated_at")?,
        monthly_price: Money::from_centavos(r.try_get("monthly_price_centavos")?),
        price_overridden: r.try_get::<i64, _>("price_overridden")? != 0,
        probe_targets,
    })
}

fn decode_access_row(r: &AnyRow) -> Result<AccessRow, StoreError> {
    Ok(AccessRow {
        access: decode_access(r)?,
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_acronym: r.try_get("agency_acronym")?,
        municipality_ibge: ibge(r, "municipality_ibge")?,
        municipality_name: r.try_get("municipality_name")?,
        site_address: r.try_get("site_address")?,
        lot_code: r.try_get("lot_code")?,
    })
}

/// Things whose visibility to an operator depends on its lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorScoped {
    Contract,
    Lot,
    Agency,
    Site,
    Access,
}

impl Tx {
    /// Whether `operator` may see this object: it concerns one of its lots
    /// (held alone or through a consortium).
    pub async fn operator_sees(
        &mut self,
        operator: OperatorId,
        kind: OperatorScoped,
        id: i64,
    ) -> Result<bool, StoreError> {
        let mut q = Filter::default();
        let lots = operator_lots_sql(&mut q, operator);
        let id_param = q.bind(Value::Int(id));
        let sql = match kind {
            OperatorScoped::Contract => {
                format!("SELECT COUNT(*) FROM lots WHERE contract_id = {id_param} AND id IN ({lots})")
            }
            OperatorScoped::Lot => format!("SELECT COUNT(*) FROM ({lots}) held WHERE id = {id_param}"),
            OperatorScoped::Agency => format!(
                "SELECT COUNT(*) FROM accesses a JOIN sites s ON s.id = a.site_id \
                 WHERE s.agency_id = {id_param} AND a.lot_id IN ({lots})"
            ),
            OperatorScoped::Site => {
                format!("SELECT COUNT(*) FROM accesses WHERE site_id = {id_param} AND lot_id IN ({lots})")
            }
            OperatorScoped::Access => {
                format!("SELECT COUNT(*) FROM accesses WHERE id = {id_param} AND lot_id IN ({lots})")
            }
        };
        Ok(count_of(&q.query(sql).fetch_one(self.conn()).await?)? > 0)
    }

    /// Every site, by id (bulk imports resolve references in memory).
    pub async fn all_sites(&mut self) -> Result<Vec<Site>, StoreError> {
        let rows = sqlx::query("SELECT * FROM sites ORDER BY id").fetch_all(self.conn()).await?;
        rows.iter().map(decode_site).collect()
    }

    /// Every lot with its region and price table.
    pub async fn all_lots(&mut self) -> Result<Vec<(Lot, Vec<Price>)>, StoreError> {
        let rows = sqlx::query("SELECT * FROM lots ORDER BY id").fetch_all(self.conn()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut lot = decode_lot(row)?;
            lot.region = self.region(lot.id).await?;
            let prices = self.prices_of_lot(lot.id).await?;
            out.push((lot, prices));
        }
        Ok(out)
    }

    /// Every agency.
    pub async fn all_agencies(&mut self) -> Result<Vec<Agency>, StoreError> {
        let rows = sqlx::query("SELECT * FROM agencies ORDER BY id").fetch_all(self.conn()).await?;
        rows.iter().map(decode_agency).collect()
    }

    /// Whether the inventory is empty (no operator and no agency).
    pub async fn inventory_is_empty(&mut self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT (SELECT COUNT(*) FROM operators) + (SELECT COUNT(*) FROM agencies)")
            .fetch_one(self.conn())
            .await?;
        Ok(count_of(&row)? == 0)
    }
}
