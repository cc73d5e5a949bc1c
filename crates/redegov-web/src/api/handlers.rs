//! The API's handlers: decode, call one use case, encode. Nothing else.

use super::dto::*;
use super::{ApiJson, ListQuery, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use redegov_app::AuditFilter;
use redegov_app::import::ImportKind;
use redegov_domain::ids::*;

type ApiResult<T> = Result<T, ApiError>;

fn created<T: serde::Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The five CRUD handlers of a resource whose input DTO has
/// `into_new(current: Option<&T>)`.
macro_rules! crud {
    (
        $id:ident, $in:ty, $out:ty,
        list: $list:ident => $app_list:ident,
        create: $create:ident => $app_create:ident,
        get: $get:ident => $app_get:ident,
        update: $update:ident => $app_update:ident,
        delete: $delete:ident => $app_delete:ident $(,)?
    ) => {
        pub async fn $list(
            State(s): State<WebState>,
            ApiActor(actor): ApiActor,
            uri: Uri,
            q: ListQuery,
        ) -> ApiResult<Response> {
            s.list_cache
                .serve(&s.app, &actor, &uri.to_string(), || async {
                    let listed = s.app.$app_list(&actor, q.filter, q.page).await?;
                    Ok(ListOut {
                        items: listed.items.iter().map(<$out>::from).collect::<Vec<_>>(),
                        total: listed.total,
                        page: q.page.page,
                        page_size: q.page.page_size,
                    })
                })
                .await
        }

        pub async fn $create(
            State(s): State<WebState>,
            ApiActor(actor): ApiActor,
            ApiJson(body): ApiJson<$in>,
        ) -> ApiResult<Response> {
            let new = body.into_new(None)?;
            let saved = s.app.$app_create(&actor, new).await?;
            Ok(created(<$out>::from(&saved)))
        }

        pub async fn $get(
            State(s): State<WebState>,
            ApiActor(actor): ApiActor,
            Path(id): Path<String>,
        ) -> ApiResult<Json<$out>> {
            let found = s.app.$app_get(&actor, $id(parse_id(&id)?)).await?;
            Ok(Json(<$out>::from(&found)))
        }

        pub async fn $update(
            State(s): State<WebState>,
            ApiActor(actor): ApiActor,
            Path(id): Path<String>,
            ApiJson(body): ApiJson<$in>,
        ) -> ApiResult<Json<$out>> {
            let saved = s
                .app
                .$app_update(&actor, $id(parse_id(&id)?), |current| body.into_new(Some(current)))
                .await?;
            Ok(Json(<$out>::from(&saved)))
        }

        pub async fn $delete(
            State(s): State<WebState>,
            ApiActor(actor): ApiActor,
            Path(id): Path<String>,
        ) -> ApiResult<StatusCode> {
            s.app.$app_delete(&actor, $id(parse_id(&id)?)).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

crud!(OperatorId, OperatorIn, OperatorOut,
    list: list_operators => list_operators,
    create: create_operator => create_operator,
    get: get_operator => get_operator,
    update: update_operator => update_operator,
    delete: delete_operator => delete_operator);

crud!(ConsortiumId, ConsortiumIn, ConsortiumOut,
    list: list_consortia => list_consortia,
    create: create_consortium => create_consortium,
    get: get_consortium => get_consortium,
    update: update_consortium => update_consortium,
    delete: delete_consortium => delete_consortium);

crud!(ContractId, ContractIn, ContractOut,
    list: list_contracts => list_contracts,
    create: create_contract => create_contract,
    get: get_contract => get_contract,
    update: update_contract => update_contract,
    delete: delete_contract => delete_contract);

crud!(LotId, LotIn, LotOut,
    list: list_lots => list_lots,
    create: create_lot => create_lot,
    get: get_lot => get_lot,
    update: update_lot => update_lot,
    delete: delete_lot => delete_lot);

crud!(AgencyId, AgencyIn, AgencyOut,
    list: list_agencies => list_agencies,
    create: create_agency => create_agency,
    get: get_agency => get_agency,
    update: update_agency => update_agency,
    delete: delete_agency => delete_agency);

crud!(SiteId, SiteIn, SiteOut,
    list: list_sites => list_sites,
    create: create_site => create_site,
    get: get_site => get_site,
    update: update_site => update_site,
    delete: delete_site => delete_site);

// ----- prices (nested under their lot) -----

pub async fn list_prices(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ListOut<PriceOut>>> {
    let prices = s.app.list_prices(&actor, LotId(parse_id(&id)?)).await?;
    let total = prices.len() as i64;
    Ok(Json(ListOut {
        items: prices.iter().map(PriceOut::from).collect(),
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

pub async fn create_price(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PriceIn>,
) -> ApiResult<Response> {
    let new = body.into_new(LotId(parse_id(&id)?), None)?;
    Ok(created(PriceOut::from(&s.app.create_price(&actor, new).await?)))
}

pub async fn update_price(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PriceIn>,
) -> ApiResult<Json<PriceOut>> {
    let saved = s
        .app
        .update_price(&actor, PriceId(parse_id(&id)?), |cur| body.into_new(cur.lot_id, Some(cur)))
        .await?;
    Ok(Json(PriceOut::from(&saved)))
}

pub async fn delete_price(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.delete_price(&actor, PriceId(parse_id(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- accesses -----

pub async fn list_accesses(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    uri: Uri,
    q: ListQuery,
) -> ApiResult<Response> {
    s.list_cache
        .serve(&s.app, &actor, &uri.to_string(), || async {
            let listed = s.app.list_accesses(&actor, q.filter, q.page).await?;
            Ok(ListOut {
                items: listed.items.iter().map(AccessOut::from_row).collect::<Vec<_>>(),
                total: listed.total,
                page: q.page.page,
                page_size: q.page.page_size,
            })
        })
        .await
}

pub async fn create_access(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<AccessIn>,
) -> ApiResult<Response> {
    let access = s.app.create_access(&actor, body.into_draft()?).await?;
    let row = s.app.get_access(&actor, access.id).await?;
    Ok(created(AccessOut::from_row(&row)))
}

pub async fn get_access(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessOut>> {
    Ok(Json(AccessOut::from_row(&s.app.get_access(&actor, AccessId(parse_id(&id)?)).await?)))
}

pub async fn update_access(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AccessIn>,
) -> ApiResult<Json<AccessOut>> {
    let id = AccessId(parse_id(&id)?);
    s.app.update_access(&actor, id, body.into_change()?).await?;
    Ok(Json(AccessOut::from_row(&s.app.get_access(&actor, id).await?)))
}

/// DELETE deactivates: an access's history is billed, so it is never erased.
pub async fn deactivate_access(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessOut>> {
    let id = AccessId(parse_id(&id)?);
    s.app.deactivate_access(&actor, id).await?;
    Ok(Json(AccessOut::from_row(&s.app.get_access(&actor, id).await?)))
}

// ----- import -----

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ImportOut {
    pub rows: usize,
}

/// `POST /import/{agencies|sites|accesses}` with the CSV file as the body.
pub async fn import_csv(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ImportOut>> {
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "import kinds are agencies, sites, accesses and incidents",
        )
    })?;
    let report = s.app.import_csv(&actor, kind, &body, &|_, _| {}).await?;
    Ok(Json(ImportOut { rows: report.rows }))
}

// ----- users, audit, municipalities, me -----

pub async fn me(ApiActor(actor): ApiActor) -> Json<MeOut> {
    use redegov_domain::role::Scope;
    let (agency_id, operator_id) = match actor.scope {
        Scope::All => (None, None),
        Scope::Agency(a) => (Some(a.0), None),
        Scope::Operator(o) => (None, Some(o.0)),
    };
    Json(MeOut {
        user_id: actor.user_id.0,
        login: actor.login,
        role: actor.role.as_str().into(),
        agency_id,
        operator_id,
    })
}

pub async fn list_users(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: ListQuery,
) -> ApiResult<Json<ListOut<UserOut>>> {
    let listed = s.app.list_users(&actor, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(UserOut::from).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

pub async fn create_user(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<UserIn>,
) -> ApiResult<Response> {
    let user = s.app.create_user(&actor, body.into_input()?).await?;
    Ok(created(UserOut::from(&user)))
}

pub async fn list_audit(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: ListQuery,
) -> ApiResult<Json<ListOut<AuditOut>>> {
    let filter = AuditFilter {
        entity: q.get("entity").map(str::to_string),
        entity_id: q.get("entity_id").map(parse_id).transpose()?,
        user_id: q.get("user_id").map(parse_id).transpose()?.map(UserId),
    };
    let listed = s.app.list_audit(&actor, &filter, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(AuditOut::from).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

pub async fn verify_audit(State(s): State<WebState>, ApiActor(actor): ApiActor) -> ApiResult<Json<ChainOut>> {
    let report = s.app.verify_audit_chain(&actor).await?;
    Ok(Json(ChainOut {
        entries: report.entries,
        intact: report.first_broken.is_none(),
        first_broken_seq: report.first_broken,
    }))
}

/// Municipalities, filtered by `uf` and a name fragment `q`.
pub async fn list_municipalities(ApiActor(_): ApiActor, q: ListQuery) -> Json<ListOut<MunicipalityOut>> {
    let uf = q.get("uf").map(str::to_uppercase);
    let needle = q.get("q").map(redegov_domain::municipality::fold);
    let matching: Vec<_> = redegov_domain::municipality::all()
        .iter()
        .filter(|m| uf.as_deref().is_none_or(|u| m.uf == u))
        .filter(|m| needle.as_deref().is_none_or(|n| redegov_domain::municipality::fold(m.name).contains(n)))
        .collect();
    let total = matching.len() as i64;
    let items = matching
        .iter()
        .skip(q.page.offset() as usize)
        .take(q.page.page_size as usize)
        .map(|m| MunicipalityOut { ibge_code: m.ibge_code, uf: m.uf.into(), name: m.name.into() })
        .collect();
    Json(ListOut { items, total, page: q.page.page, page_size: q.page.page_size })
}
