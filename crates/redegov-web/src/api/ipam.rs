//! IP address management (issue #7 item 4, `docs/ipam.md`).
//!
//! - `POST /ip-pools {name, cidr, visibility: private|public}` configures a
//!   pool (admin, network manager); `GET /ip-pools` lists them with their
//!   use; `GET /ip-pools/{id}/free` lists a pool's free blocks.
//! - `POST /ip-blocks {agency_id, pool_id, prefix_length}` allocates the
//!   first free aligned block and answers it with its `cidr`;
//!   `GET /ip-blocks?agency_id=` lists blocks (an agency manager sees its
//!   own); `POST /ip-blocks/batch {agency_id, pool_id, prefix_length,
//!   count}` allocates `count` blocks one by one in one transaction;
//!   `PATCH /ip-blocks/{id} {agency_id}` reassigns one;
//!   `DELETE /ip-blocks/{id}` releases it.

use super::openapi::{
    array_of, body, error_response, json_response, op, path_param, query_param, schema_ref,
};
use super::{ApiJson, Filters, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use redegov_app::ipam::{IpBlock, IpPool, NewPool, PoolView};
use redegov_domain::ids::{AgencyId, IpBlockId, IpPoolId};
use redegov_domain::ipam::Cidr;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::Type;
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// This module's routes, merged into `/api/v1`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/ip-pools", get(list_pools).post(create_pool))
        .route("/ip-pools/{id}/free", get(free_blocks))
        .route("/ip-blocks", get(list_blocks).post(allocate))
        .route("/ip-blocks/batch", axum::routing::post(allocate_batch))
        .route("/ip-blocks/{id}", patch(reassign).delete(release))
}

/// A pool to configure.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolIn {
    pub name: String,
    /// A network address with its prefix: `10.128.0.0/12`, `2001:db8::/32`.
    pub cidr: String,
    /// `private` or `public`.
    pub visibility: String,
}

/// A pool with its use.
#[derive(Serialize, ToSchema)]
pub struct PoolOut {
    pub id: i64,
    pub name: String,
    pub cidr: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    pub visibility: &'static str,
    /// Addresses, as decimal strings (IPv6 counts exceed JSON's integers).
    pub used_addresses: String,
    pub free_addresses: String,
    /// Share used, `"12.34"` percent.
    pub used_percent: String,
    /// The largest free block's prefix length (`null` when full).
    pub largest_free_prefix: Option<u8>,
    pub blocks: usize,
    pub created_at: String,
}

fn pool_out(p: &IpPool, view: Option<&PoolView>) -> PoolOut {
    let u = view.map(|v| v.utilisation);
    let bp = u.map(|u| u.used_basis_points()).unwrap_or(0);
    PoolOut {
        id: p.id.0,
        name: p.name.clone(),
        cidr: p.cidr.to_string(),
        family: p.cidr.family.as_str(),
        visibility: p.visibility.as_str(),
        used_addresses: u.map(|u| u.used).unwrap_or(0).to_string(),
        free_addresses: u.map(|u| u.free).unwrap_or(p.cidr.size()).to_string(),
        used_percent: format!("{}.{:02}", bp / 100, bp % 100),
        largest_free_prefix: u.map_or(Some(p.cidr.prefix), |u| u.largest_free),
        blocks: view.map(|v| v.blocks).unwrap_or(0),
        created_at: super::dto::rfc3339(p.created_at),
    }
}

/// A block to allocate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateIn {
    pub agency_id: i64,
    pub pool_id: i64,
    /// The block's size as a prefix length, e.g. 28 (14 hosts) or 30 (2 hosts).
    pub prefix_length: i64,
}

/// Blocks to allocate in one go.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub agency_id: i64,
    pub pool_id: i64,
    pub prefix_length: i64,
    /// How many blocks (each the first free aligned one, in order).
    pub count: i64,
}

/// A block's new agency.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignIn {
    pub agency_id: i64,
}

/// An allocated block.
#[derive(Serialize, ToSchema)]
pub struct BlockOut {
    pub id: i64,
    pub pool_id: i64,
    pub agency_id: i64,
    /// `10.128.0.16/28`.
    pub cidr: String,
    pub prefix_length: u8,
    pub allocated_at: String,
}

impl From<&IpBlock> for BlockOut {
    fn from(b: &IpBlock) -> Self {
        BlockOut {
            id: b.id.0,
            pool_id: b.pool_id.0,
            agency_id: b.agency_id.0,
            cidr: b.cidr.to_string(),
            prefix_length: b.cidr.prefix,
            allocated_at: super::dto::rfc3339(b.allocated_at),
        }
    }
}

/// A free block of a pool.
#[derive(Serialize, ToSchema)]
pub struct FreeOut {
    pub cidr: String,
    pub prefix_length: u8,
    /// Addresses, as a decimal string.
    pub addresses: String,
}

impl From<&Cidr> for FreeOut {
    fn from(c: &Cidr) -> Self {
        FreeOut { cidr: c.to_string(), prefix_length: c.prefix, addresses: c.size().to_string() }
    }
}

pub async fn create_pool(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PoolIn>,
) -> ApiResult<Response> {
    let pool = s
        .app
        .create_ip_pool(&actor, NewPool { name: b.name, cidr: b.cidr, visibility: b.visibility })
        .await?;
    Ok((StatusCode::CREATED, Json(pool_out(&pool, None))).into_response())
}

pub async fn list_pools(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<PoolOut>>> {
    let views = s.app.list_ip_pools(&actor).await?;
    Ok(Json(views.iter().map(|v| pool_out(&v.pool, Some(v))).collect()))
}

pub async fn free_blocks(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<FreeOut>>> {
    let (_, free) = s.app.ip_pool_free(&actor, IpPoolId(parse_id(&id)?)).await?;
    Ok(Json(free.iter().map(FreeOut::from).collect()))
}

pub async fn allocate(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<AllocateIn>,
) -> ApiResult<Response> {
    let block =
        s.app.allocate_ip_block(&actor, AgencyId(b.agency_id), IpPoolId(b.pool_id), b.prefix_length).await?;
    Ok((StatusCode::CREATED, Json(BlockOut::from(&block))).into_response())
}

pub async fn allocate_batch(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<BatchIn>,
) -> ApiResult<Response> {
    let blocks = s
        .app
        .allocate_ip_blocks(&actor, AgencyId(b.agency_id), IpPoolId(b.pool_id), b.prefix_length, b.count)
        .await?;
    Ok((StatusCode::CREATED, Json(blocks.iter().map(BlockOut::from).collect::<Vec<_>>())).into_response())
}

/// `GET /ip-blocks[?agency_id=]`.
pub async fn list_blocks(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<Vec<BlockOut>>> {
    let blocks = s.app.list_ip_blocks(&actor, q.id("agency_id")?.map(AgencyId)).await?;
    Ok(Json(blocks.iter().map(BlockOut::from).collect()))
}

pub async fn reassign(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReassignIn>,
) -> ApiResult<Json<BlockOut>> {
    let block = s.app.reassign_ip_block(&actor, IpBlockId(parse_id(&id)?), AgencyId(b.agency_id)).await?;
    Ok(Json(BlockOut::from(&block)))
}

pub async fn release(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.release_ip_block(&actor, IpBlockId(parse_id(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds this module's paths and schemas to the OpenAPI document.
pub fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Delete, Get, Patch, Post};
    let paths = &mut doc.paths;
    let rule = || {
        error_response(
            "A rule is broken; `field` names it (overlaps, pool_exhausted, block_limit_reached, …)",
        )
    };
    paths.add_path_operation(
        "/api/v1/ip-pools",
        vec![Get],
        op("ipam", "Address pools with their use (admin, network manager, committee, auditor)".into())
            .response("200", json_response("Pools", array_of("PoolOut")))
            .response("403", error_response("Your role does not read pools"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-pools",
        vec![Post],
        op("ipam", "Configure a pool (admin, network manager; audited)".into())
            .request_body(Some(body("PoolIn")))
            .response("201", json_response("Configured", schema_ref("PoolOut")))
            .response("403", error_response("Your role may not configure pools"))
            .response("409", error_response("A pool with this name exists"))
            .response("422", rule())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-pools/{id}/free",
        vec![Get],
        op("ipam", "A pool's free blocks, by address".into())
            .parameter(path_param("id", Type::Integer, "The pool"))
            .response("200", json_response("Free blocks", array_of("FreeOut")))
            .response("404", error_response("No such pool"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-blocks",
        vec![Get],
        op("ipam", "Allocated blocks (an agency manager sees its own agency's)".into())
            .parameter(query_param("agency_id", Type::Integer))
            .response("200", json_response("Blocks", array_of("BlockOut")))
            .response("403", error_response("Your role does not read blocks"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-blocks",
        vec![Post],
        op(
            "ipam",
            "Allocate the first free aligned block of a size to an agency (admin, network manager; audited)"
                .into(),
        )
        .request_body(Some(body("AllocateIn")))
        .response("201", json_response("Allocated", schema_ref("BlockOut")))
        .response("403", error_response("Your role may not allocate blocks"))
        .response("422", rule())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-blocks/batch",
        vec![Post],
        op(
            "ipam",
            "Allocate `count` blocks of a size to an agency, one by one (first fit, aligned) in one \
             transaction: all within the kind's limit, or none (admin, network manager; audited)"
                .into(),
        )
        .request_body(Some(body("BatchIn")))
        .response("201", json_response("Allocated, in order", array_of("BlockOut")))
        .response("403", error_response("Your role may not allocate blocks"))
        .response("422", rule())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-blocks/{id}",
        vec![Patch],
        op("ipam", "Reassign a block to another agency (admin, network manager; audited)".into())
            .parameter(path_param("id", Type::Integer, "The block"))
            .request_body(Some(body("ReassignIn")))
            .response("200", json_response("Reassigned", schema_ref("BlockOut")))
            .response("404", error_response("No such block"))
            .response("422", rule())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/ip-blocks/{id}",
        vec![Delete],
        op("ipam", "Release a block back to its pool (admin, network manager; audited)".into())
            .parameter(path_param("id", Type::Integer, "The block"))
            .response("204", ResponseBuilder::new().description("Released").build())
            .response("404", error_response("No such block"))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (PoolIn::name(), PoolIn::schema()),
        (PoolOut::name(), PoolOut::schema()),
        (AllocateIn::name(), AllocateIn::schema()),
        (BatchIn::name(), BatchIn::schema()),
        (ReassignIn::name(), ReassignIn::schema()),
        (BlockOut::name(), BlockOut::schema()),
        (FreeOut::name(), FreeOut::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
