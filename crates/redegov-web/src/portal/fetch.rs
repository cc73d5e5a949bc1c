//! Lookups several pages share, through the use cases on `App` (which
//! scope every one of them to the actor): the names that ids stand for —
//! agency acronyms, lots and lot holders — for filters, selects and tables.

use redegov_app::{Actor, App, AppResult, InventoryFilter, Page};
use redegov_domain::ids::*;
use redegov_domain::inventory::{Consortium, Lot, LotHolder, Operator};
use redegov_domain::invoice::holder_code;
use std::collections::HashMap;

/// The agencies the actor sees, in acronym order: id, acronym and
/// "SIGLA — Nome".
pub async fn agency_choices(app: &App, actor: &Actor) -> AppResult<Vec<(AgencyId, String, String)>> {
    let listed = app.list_agencies(actor, InventoryFilter::default(), Page::all()).await?;
    Ok(listed
        .items
        .into_iter()
        .map(|a| (a.id, a.acronym.clone(), format!("{} — {}", a.acronym, a.name)))
        .collect())
}

/// The acronyms of the agencies the actor sees, by id (for tables).
pub async fn agency_acronyms(app: &App, actor: &Actor) -> AppResult<HashMap<AgencyId, String>> {
    Ok(agency_choices(app, actor).await?.into_iter().map(|(id, acronym, _)| (id, acronym)).collect())
}

/// The lots the actor sees, in code order (`1A` before `10A`).
pub async fn lots(app: &App, actor: &Actor) -> AppResult<Vec<Lot>> {
    let mut lots = app.list_lots(actor, InventoryFilter::default(), Page::all()).await?.items;
    lots.sort_by_key(|l| super::view::natural_key(&l.code));
    Ok(lots)
}

/// Names of lot holders: operators and consortia the actor sees.
#[derive(Default)]
pub struct Holders {
    operators: HashMap<OperatorId, String>,
    consortia: HashMap<ConsortiumId, String>,
}

impl Holders {
    /// The holders the actor sees.
    pub async fn load(app: &App, actor: &Actor) -> AppResult<Holders> {
        let operators = app.list_operators(actor, InventoryFilter::default(), Page::all()).await?.items;
        let consortia = app.list_consortia(actor, InventoryFilter::default(), Page::all()).await?.items;
        Ok(Holders::from_lists(&operators, &consortia))
    }

    /// Options for a select: the holder's code (`operator-5`,
    /// `consortium-3`) and its name, operators first, each by name.
    pub fn choices(&self) -> Vec<(String, String)> {
        let mut operators: Vec<_> = self
            .operators
            .iter()
            .map(|(id, name)| (holder_code(LotHolder::Operator(*id)), name.clone()))
            .collect();
        let mut consortia: Vec<_> = self
            .consortia
            .iter()
            .map(|(id, name)| (holder_code(LotHolder::Consortium(*id)), format!("{name} (consórcio)")))
            .collect();
        operators.sort_by(|a, b| a.1.cmp(&b.1));
        consortia.sort_by(|a, b| a.1.cmp(&b.1));
        operators.into_iter().chain(consortia).collect()
    }

    pub fn from_lists(operators: &[Operator], consortia: &[Consortium]) -> Holders {
        Holders {
            operators: operators.iter().map(|o| (o.id, o.name.clone())).collect(),
            consortia: consortia.iter().map(|c| (c.id, c.name.clone())).collect(),
        }
    }

    /// The holder's name and the page it links to (operators have one).
    pub fn name(&self, holder: LotHolder) -> (String, Option<String>) {
        match holder {
            LotHolder::Operator(id) => (
                self.operators.get(&id).cloned().unwrap_or_else(|| format!("Operadora nº {id}")),
                Some(format!("/operadoras/{id}")),
            ),
            LotHolder::Consortium(id) => {
                (self.consortia.get(&id).cloned().unwrap_or_else(|| format!("Consórcio nº {id}")), None)
            }
        }
    }
}
