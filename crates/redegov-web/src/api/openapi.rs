//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`,
//! and the browsable Swagger UI (vendored, no CDN) at `/api/v1/docs`.
//!
//! Schemas come from the DTOs' `ToSchema` derives; paths are generated from
//! one table of resources below, the same shape the router follows, so the
//! document cannot silently omit an endpoint (a test compares them).

use super::dto::*;
use super::handlers::ImportOut;
use axum::Json;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, Required, Schema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "redegov API",
        description = "Inventory of the state's corporate telecom network: operators, consortia, contracts, lots \
                       and prices, agencies, sites and accesses. Authenticate with `Authorization: Bearer <token>` \
                       (create one with `redegov token create --login L`). Lists answer \
                       `{\"items\", \"total\", \"page\", \"page_size\"}` and take `page` and `page_size` (≤ 1000). \
                       Errors answer `{\"error\": {\"code\", \"message\", \"field\"}}` with 400 (malformed), \
                       401 (no or bad token), 403 (role may not), 404 (absent or outside your scope), \
                       409 (conflict) or 422 (a rule broken).",
        license(name = "AGPL-3.0-or-later"),
        version = "1"
    ),
    components(schemas(
        OperatorIn,
        OperatorOut,
        MemberIn,
        MemberOut,
        ConsortiumIn,
        ConsortiumOut,
        ContractIn,
        ContractOut,
        LotIn,
        LotOut,
        PriceIn,
        PriceOut,
        AgencyIn,
        AgencyOut,
        SiteIn,
        SiteOut,
        AccessIn,
        AccessOut,
        UserIn,
        UserOut,
        AuditOut,
        MunicipalityOut,
        MeOut,
        ChainOut,
        ImportOut
    ))
)]
struct ApiDoc;

/// One resource of the table: base path, tag, schemas and list filters.
struct Resource {
    path: &'static str,
    tag: &'static str,
    input: &'static str,
    output: &'static str,
    filters: &'static [&'static str],
    /// Whether `DELETE` deactivates (returns the object) instead of erasing.
    delete_returns_object: bool,
}

const RESOURCES: &[Resource] = &[
    Resource {
        path: "/operators",
        tag: "operators",
        input: "OperatorIn",
        output: "OperatorOut",
        filters: &["q"],
        delete_returns_object: false,
    },
    Resource {
        path: "/consortia",
        tag: "consortia",
        input: "ConsortiumIn",
        output: "ConsortiumOut",
        filters: &["operator_id"],
        delete_returns_object: false,
    },
    Resource {
        path: "/contracts",
        tag: "contracts",
        input: "ContractIn",
        output: "ContractOut",
        filters: &["operator_id"],
        delete_returns_object: false,
    },
    Resource {
        path: "/lots",
        tag: "lots",
        input: "LotIn",
        output: "LotOut",
        filters: &["contract_id", "operator_id"],
        delete_returns_object: false,
    },
    Resource {
        path: "/agencies",
        tag: "agencies",
        input: "AgencyIn",
        output: "AgencyOut",
        filters: &["kind", "q", "operator_id"],
        delete_returns_object: false,
    },
    Resource {
        path: "/sites",
        tag: "sites",
        input: "SiteIn",
        output: "SiteOut",
        filters: &["agency_id", "municipality_ibge", "operator_id", "q"],
        delete_returns_object: false,
    },
    Resource {
        path: "/accesses",
        tag: "accesses",
        input: "AccessIn",
        output: "AccessOut",
        filters: &["agency_id", "site_id", "lot_id", "operator_id", "status", "municipality_ibge", "q"],
        delete_returns_object: true,
    },
];

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_response(description: &str, schema: RefOr<Schema>) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    json_response(description, schema_ref("Error"))
}

fn list_schema(item: &str) -> RefOr<Schema> {
    let int = || ObjectBuilder::new().schema_type(Type::Integer);
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(schema_ref(item)))
            .property("total", int())
            .property("page", int())
            .property("page_size", int())
            .required("items")
            .required("total")
            .build(),
    ))
}

fn query_param(name: &str, kind: Type) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .build()
}

fn id_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
        .build()
}

fn body(schema: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(schema_ref(schema))).build())
        .build()
}

fn op(tag: &str, summary: String) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .summary(Some(summary))
        .response("401", error_response("No or invalid bearer token"))
}

fn is_integer_filter(name: &str) -> bool {
    name.ends_with("_id") || name == "municipality_ibge"
}

fn build() -> OpenApiDoc {
    let mut doc = ApiDoc::openapi();
    let paths = &mut doc.paths;
    for r in RESOURCES {
        let mut list = op(r.tag, format!("List {}", r.tag))
            .parameter(query_param("page", Type::Integer))
            .parameter(query_param("page_size", Type::Integer))
            .response("200", json_response("A page of items", list_schema(r.output)));
        for f in r.filters {
            list = list
                .parameter(query_param(f, if is_integer_filter(f) { Type::Integer } else { Type::String }));
        }
        paths.add_path_operation(format!("/api/v1{}", r.path), vec![HttpMethod::Get], list.build());
        let create = op(r.tag, format!("Create one of {}", r.tag))
            .request_body(Some(body(r.input)))
            .response("201", json_response("Created", schema_ref(r.output)))
            .response("400", error_response("Malformed JSON or unknown field"))
            .response("403", error_response("Your role may not create this"))
            .response("409", error_response("Conflicts with existing data"))
            .response("422", error_response("A rule is broken; `field` names it"));
        paths.add_path_operation(format!("/api/v1{}", r.path), vec![HttpMethod::Post], create.build());
        let item = format!("/api/v1{}/{{id}}", r.path);
        let get = op(r.tag, format!("Get one of {}", r.tag))
            .parameter(id_param())
            .response("200", json_response("Found", schema_ref(r.output)))
            .response("404", error_response("Absent, or outside your scope"));
        paths.add_path_operation(&item, vec![HttpMethod::Get], get.build());
        let patch = op(r.tag, format!("Change one of {} (only the fields given)", r.tag))
            .parameter(id_param())
            .request_body(Some(body(r.input)))
            .response("200", json_response("Changed", schema_ref(r.output)))
            .response("403", error_response("Your role may not change this"))
            .response("404", error_response("Absent, or outside your scope"))
            .response("422", error_response("A rule is broken; `field` names it"));
        paths.add_path_operation(&item, vec![HttpMethod::Patch], patch.build());
        let delete = op(
            r.tag,
            if r.delete_returns_object {
                "Deactivate".to_string()
            } else {
                format!("Remove one of {} (409 while referenced)", r.tag)
            },
        )
        .parameter(id_param())
        .response("403", error_response("Your role may not remove this"))
        .response("404", error_response("Absent, or outside your scope"))
        .response("409", error_response("Still referenced"));
        let delete = if r.delete_returns_object {
            delete.response("200", json_response("Deactivated", schema_ref(r.output)))
        } else {
            delete.response("204", ResponseBuilder::new().description("Removed").build())
        };
        paths.add_path_operation(&item, vec![HttpMethod::Delete], delete.build());
    }
    // Prices, nested under lots.
    paths.add_path_operation(
        "/api/v1/lots/{id}/prices",
        vec![HttpMethod::Get],
        op("lots", "The lot's price table".into())
            .parameter(id_param())
            .response("200", json_response("Prices", list_schema("PriceOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/lots/{id}/prices",
        vec![HttpMethod::Post],
        op("lots", "Add a price to the lot's table".into())
            .parameter(id_param())
            .request_body(Some(body("PriceIn")))
            .response("201", json_response("Created", schema_ref("PriceOut")))
            .response("422", error_response("A rule is broken"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/prices/{id}",
        vec![HttpMethod::Patch],
        op("lots", "Change a price".into())
            .parameter(id_param())
            .request_body(Some(body("PriceIn")))
            .response("200", json_response("Changed", schema_ref("PriceOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/prices/{id}",
        vec![HttpMethod::Delete],
        op("lots", "Remove a price".into())
            .parameter(id_param())
            .response("204", ResponseBuilder::new().description("Removed").build())
            .build(),
    );
    let kind_param = ParameterBuilder::new()
        .name("kind")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("agencies, sites or accesses"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    paths.add_path_operation(
        "/api/v1/import/{kind}",
        vec![HttpMethod::Post],
        op("import", "Import a CSV file, all rows or none (layouts in docs/import.md)".into())
            .parameter(kind_param)
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "text/csv",
                        ContentBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                            .build(),
                    )
                    .build(),
            ))
            .response("200", json_response("Imported", schema_ref("ImportOut")))
            .response("422", error_response("Problems listed in `error.problems` (line, column, rule)"))
            .build(),
    );
    for (path, tag, summary, schema, list) in [
        ("/api/v1/me", "users", "Who the token belongs to", "MeOut", false),
        ("/api/v1/users", "users", "List users (admin)", "UserOut", true),
        (
            "/api/v1/audit",
            "audit",
            "The audit log, newest first (admin, auditor); filters entity, entity_id, user_id",
            "AuditOut",
            true,
        ),
        (
            "/api/v1/audit/verify",
            "audit",
            "Verify the audit log's hash chain (admin, auditor)",
            "ChainOut",
            false,
        ),
        (
            "/api/v1/municipalities",
            "municipalities",
            "Brazilian municipalities (IBGE); filters uf, q",
            "MunicipalityOut",
            true,
        ),
    ] {
        let schema = if list { list_schema(schema) } else { schema_ref(schema) };
        let mut get = op(tag, summary.into()).response("200", json_response("OK", schema));
        if list {
            get = get
                .parameter(query_param("page", Type::Integer))
                .parameter(query_param("page_size", Type::Integer));
        }
        paths.add_path_operation(path, vec![HttpMethod::Get], get.build());
    }
    paths.add_path_operation(
        "/api/v1/users",
        vec![HttpMethod::Post],
        op("users", "Create a user (admin)".into())
            .request_body(Some(body("UserIn")))
            .response("201", json_response("Created", schema_ref("UserOut")))
            .response("422", error_response("A rule is broken"))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    let error_detail = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String))
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .property("field", ObjectBuilder::new().schema_type(Type::String))
        .property("problems", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object)))
        .required("code")
        .required("message");
    components.schemas.insert(
        "Error".into(),
        RefOr::T(Schema::Object(
            ObjectBuilder::new().property("error", error_detail).required("error").build(),
        )),
    );
    doc.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    doc
}

/// The document, built once.
pub fn openapi() -> &'static OpenApiDoc {
    static DOC: OnceLock<OpenApiDoc> = OnceLock::new();
    DOC.get_or_init(build)
}

pub async fn document() -> Json<&'static OpenApiDoc> {
    Json(openapi())
}

/// The Swagger UI, pointing at the served document.
pub fn swagger_ui() -> axum::Router<crate::WebState> {
    utoipa_swagger_ui::SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json"))
        .into()
}
