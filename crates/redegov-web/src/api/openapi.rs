//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`,
//! and the browsable Swagger UI (vendored, no CDN) at `/api/v1/docs`.
//!
//! Schemas come from the DTOs' `ToSchema` derives; paths are generated from
//! one table of resources below, the same shape the router follows, so the
//! document cannot silently omit an endpoint (a test compares them).

use super::dto::*;
use super::handlers::ImportOut;
use super::incidents::*;
use super::months::*;
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
                       and prices, agencies, sites and accesses; incidents, maintenance windows, contract rules \
                       and the monthly closing (availability, IMR, credits, billing reports). Money is integer \
                       centavos in fields ending `_centavos` (never a float); percentages are strings with four \
                       decimals (`\"99.8656\"`); instants are RFC 3339, answered in UTC; a month is `YYYY-MM`, \
                       from 00:00 of its first day in America/Sao_Paulo. Authenticate with `Authorization: Bearer <token>` \
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
        ImportOut,
        ClockStopIn,
        ClockStopOut,
        IncidentIn,
        IncidentPatch,
        IncidentOut,
        WindowIn,
        WindowOut,
        DecisionIn,
        RulesIn,
        RulesVersionOut,
        RulesListOut,
        ClosingOut,
        BreachOut,
        LineNumbers,
        LineOut,
        TotalsOut,
        AggregateOut,
        LotAggregateOut,
        HolderAggregateOut,
        MonthOut,
        TrailEntryOut,
        ExplanationOut,
        BillingIndexOut,
        PartyOut,
        BillingLineOut,
        AdjustmentLineOut,
        DeductionLineOut,
        DeductionPartOut,
        BillingTotalsOut,
        MemberPartOut,
        BillingReportOut,
        AdjustmentIn,
        AdjustmentOut
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

pub(super) fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

pub(super) fn json_response(description: &str, schema: RefOr<Schema>) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

pub(super) fn error_response(description: &str) -> utoipa::openapi::Response {
    json_response(description, schema_ref("Error"))
}

/// A JSON array of `item`.
pub(super) fn array_of(item: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Array(ArrayBuilder::new().items(schema_ref(item)).build()))
}

pub(super) fn list_schema(item: &str) -> RefOr<Schema> {
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

pub(super) fn query_param(name: &str, kind: Type) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .build()
}

pub(super) fn id_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
        .build()
}

pub(super) fn body(schema: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(schema_ref(schema))).build())
        .build()
}

pub(super) fn path_param(name: &str, kind: Type, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .build()
}

fn month_param() -> utoipa::openapi::path::Parameter {
    path_param("month", Type::String, "`YYYY-MM`; anything else is a 422 naming `month`")
}

pub(super) fn op(tag: &str, summary: String) -> OperationBuilder {
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
        .description(Some("agencies, sites, accesses or incidents"))
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
    closing_paths(paths);
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
    super::calendar::openapi(&mut doc);
    super::orders::openapi(&mut doc);
    super::monitor::openapi(&mut doc);
    super::penalties::openapi(&mut doc);
    super::invoices::openapi(&mut doc);
    super::commitments::openapi(&mut doc);
    super::ipam::openapi(&mut doc);
    super::adhesions::openapi(&mut doc);
    doc.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    doc
}

/// How an incident's statuses map to TMF621 (Trouble Ticket) states.
const TMF621: &str = "Life cycle open → with_operator → resolved → confirmed → closed (a short outage may be \
                      resolved straight from open; the NOC may send a resolution back to with_operator). \
                      `tmf621_status` gives the TMF621 Trouble Ticket state: open → `acknowledged`, \
                      with_operator → `inProgress`, resolved and confirmed → `resolved` (confirmation by the NOC \
                      is an internal step of TMF621's resolved), closed → `closed`.";

/// Incidents, maintenance windows, rules and the monthly closing.
fn closing_paths(paths: &mut utoipa::openapi::Paths) {
    use HttpMethod::{Get, Patch, Post, Put};
    let rule_broken = || error_response("A rule is broken; `field` names it and `code` the rule");
    let scope = || error_response("Absent, or outside your scope");
    let list = |tag: &str, summary: &str, item: &str, filters: &[(&str, Type)]| {
        let mut o = op(tag, summary.into())
            .parameter(query_param("page", Type::Integer))
            .parameter(query_param("page_size", Type::Integer))
            .response("200", json_response("A page of items", list_schema(item)))
            .response("422", error_response("A filter that cannot be understood; `field` names it"));
        for (name, kind) in filters {
            o = o.parameter(query_param(name, kind.clone()));
        }
        o
    };
    let line_filters =
        || ["agency_id", "lot_id", "access_id", "operator_id"].map(|f| query_param(f, Type::Integer));
    paths.add_path_operation(
        "/api/v1/incidents",
        vec![Get],
        list(
            "incidents",
            "List incidents, newest first, in your scope; `open=true` keeps open ones, `from`/`to` (RFC 3339) \
             those overlapping the interval",
            "IncidentOut",
            &[
                ("access_id", Type::Integer),
                ("agency_id", Type::Integer),
                ("lot_id", Type::Integer),
                ("operator_id", Type::Integer),
                ("status", Type::String),
                ("source", Type::String),
                ("responsibility", Type::String),
                ("open", Type::Boolean),
                ("from", Type::String),
                ("to", Type::String),
            ],
        )
        .description(Some(TMF621))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/incidents",
        vec![Post],
        op(
            "incidents",
            "Open an incident (NOC, admin; an agency on its accesses; an operator on its lots, with \
             responsibility `operator`). Refused in a closed month (`month_closed`), with a clock stop \
             outside the incident (`outside_incident`, field `clock_stops[i]`), ending before it starts \
             (`dates_out_of_order`), on an unknown access (`unknown_reference`)"
                .into(),
        )
        .description(Some(TMF621))
        .request_body(Some(body("IncidentIn")))
        .response("201", json_response("Opened", schema_ref("IncidentOut")))
        .response("400", error_response("Malformed JSON or instant; `field` names it"))
        .response("403", error_response("Your role may not open incidents"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/incidents/{id}",
        vec![Get],
        op("incidents", "Get an incident".into())
            .parameter(id_param())
            .response("200", json_response("Found", schema_ref("IncidentOut")))
            .response("404", scope())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/incidents/{id}",
        vec![Patch],
        op(
            "incidents",
            "Work an incident: status, end (`null` reopens), ticket, notes; responsibility (with `reason`, \
             audited) and clock stops by the NOC or admin; an agency changes notes only. Refused once a \
             month it touches is closed"
                .into(),
        )
        .description(Some(TMF621))
        .parameter(id_param())
        .request_body(Some(body("IncidentPatch")))
        .response("200", json_response("Changed", schema_ref("IncidentOut")))
        .response("403", error_response("Your role may not make this change"))
        .response("404", scope())
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/maintenance-windows",
        vec![Get],
        list(
            "maintenance-windows",
            "List maintenance windows in your scope",
            "WindowOut",
            &[
                ("status", Type::String),
                ("lot_id", Type::Integer),
                ("access_id", Type::Integer),
                ("agency_id", Type::Integer),
                ("operator_id", Type::Integer),
            ],
        )
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/maintenance-windows",
        vec![Post],
        op(
            "maintenance-windows",
            "Announce a window for an access or a whole lot (operator, NOC, admin), at least the lot's notice \
             ahead (48 h by default; else 422 `notice_too_short` on `starts_at`)"
                .into(),
        )
        .request_body(Some(body("WindowIn")))
        .response("201", json_response("Proposed", schema_ref("WindowOut")))
        .response("403", error_response("Your role may not announce windows"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/maintenance-windows/{id}",
        vec![Get],
        op("maintenance-windows", "Get a maintenance window".into())
            .parameter(id_param())
            .response("200", json_response("Found", schema_ref("WindowOut")))
            .response("404", scope())
            .build(),
    );
    for (action, summary) in [
        (
            "approve",
            "Approve a proposed window (NOC, admin); only approved windows are excluded from downtime",
        ),
        ("reject", "Reject a proposed window (NOC, admin), with a `reason`"),
    ] {
        paths.add_path_operation(
            format!("/api/v1/maintenance-windows/{{id}}/{action}"),
            vec![Post],
            op("maintenance-windows", summary.into())
                .parameter(id_param())
                .request_body(Some(body("DecisionIn")))
                .response("200", json_response("Decided", schema_ref("WindowOut")))
                .response("403", error_response("Your role may not decide windows"))
                .response("404", scope())
                .response("422", error_response("Already decided (`invalid_transition`), or no reason"))
                .build(),
        );
    }
    paths.add_path_operation(
        "/api/v1/lots/{id}/rules",
        vec![Get],
        op(
            "rules",
            "The lot's contract rules, every version with its effective date, and the defaults".into(),
        )
        .parameter(id_param())
        .response("200", json_response("Versions", schema_ref("RulesListOut")))
        .response("404", scope())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/lots/{id}/rules",
        vec![Put],
        op(
            "rules",
            "Set the lot's rules from `effective_from` on (admin); refused if it would change a closed month"
                .into(),
        )
        .parameter(id_param())
        .request_body(Some(body("RulesIn")))
        .response("200", json_response("Stored", schema_ref("RulesVersionOut")))
        .response("400", error_response("Malformed rules; `field` is the JSON path"))
        .response("403", error_response("Only admin changes the rules"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/months",
        vec![Get],
        op("months", "Closed months, newest first (totals of your scope)".into())
            .response("200", json_response("Closings", list_schema("ClosingOut")))
            .build(),
    );
    for (path, summary) in [
        (
            "/api/v1/months/{month}/preview",
            "Compute the month now without storing anything (even a closed month: compare the fingerprint)",
        ),
        (
            "/api/v1/months/{month}/measurements",
            "One object per access: the stored snapshot of a closed month, a preview of an open one; \
             aggregated per lot and per lot holder",
        ),
    ] {
        let mut get = op("months", summary.into())
            .parameter(month_param())
            .response("200", json_response("Results", schema_ref("MonthOut")))
            .response("422", error_response("Bad month or filter"));
        for p in line_filters() {
            get = get.parameter(p);
        }
        paths.add_path_operation(path, vec![Get], get.build());
    }
    paths.add_path_operation(
        "/api/v1/months/{month}/close",
        vec![Post],
        op(
            "months",
            "Close an ended month (contract manager, admin): measure every access and store the immutable \
             snapshot; a closed month is refused (`month_closed`)"
                .into(),
        )
        .parameter(month_param())
        .response("201", json_response("Closed", schema_ref("ClosingOut")))
        .response("403", error_response("Your role may not close months"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/months/{month}/accesses/{access_id}/explanation",
        vec![Get],
        op(
            "months",
            "Why an access was credited what it was: every interval counted or excluded with its reason, and \
             the arithmetic in pt-BR"
                .into(),
        )
        .parameter(month_param())
        .parameter(path_param("access_id", Type::Integer, "The access"))
        .response("200", json_response("Explanation", schema_ref("ExplanationOut")))
        .response("404", scope())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/months/{month}/billing-reports",
        vec![Get],
        op(
            "billing-reports",
            "The month's billing reports in your scope: one per agency × lot holder".into(),
        )
        .parameter(month_param())
        .response("200", json_response("Reports", list_schema("BillingIndexOut")))
        .build(),
    );
    let format = ParameterBuilder::new()
        .name("format")
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some("`json` (default), `csv`, `xlsx` or `pdf` (A4, pt-BR)"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    let file = || {
        ContentBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(Some(
                utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary),
            ))))
            .build()
    };
    paths.add_path_operation(
        "/api/v1/months/{month}/billing-reports/{agency_id}/{holder}",
        vec![Get],
        op(
            "billing-reports",
            "The Relatório Consolidado do Faturamento of one agency with one lot holder: a line per access, \
             adjustment lines, totals that are sums of the lines, consortium parts split by share to the centavo"
                .into(),
        )
        .parameter(month_param())
        .parameter(path_param("agency_id", Type::Integer, "The agency"))
        .parameter(path_param("holder", Type::String, "`operator-<id>` or `consortium-<id>`"))
        .parameter(format)
        .response(
            "200",
            ResponseBuilder::new()
                .description("The report; files come with Content-Disposition `faturamento-<month>-<agency>-<holder>.<ext>`")
                .content("application/json", ContentBuilder::new().schema(Some(schema_ref("BillingReportOut"))).build())
                .content("text/csv", file())
                .content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file())
                .content("application/pdf", file())
                .build(),
        )
        .response("404", scope())
        .response("422", error_response("Bad month or format"))
        .build(),
    );
    paths.add_path_operation("/api/v1/months/{month}/adjustments", vec![Get], {
        let mut get = op("adjustments", "Adjustments applied in the month, in your scope".into())
            .parameter(month_param())
            .response("200", json_response("Adjustments", list_schema("AdjustmentOut")));
        for p in line_filters() {
            get = get.parameter(p);
        }
        get.build()
    });
    paths.add_path_operation(
        "/api/v1/adjustments",
        vec![Post],
        op(
            "adjustments",
            "Correct a closed month (contract manager, admin): an adjustment line applied in the first open \
             month, with its reason, audited"
                .into(),
        )
        .request_body(Some(body("AdjustmentIn")))
        .response("201", json_response("Recorded", schema_ref("AdjustmentOut")))
        .response("403", error_response("Your role may not record adjustments"))
        .response("422", rule_broken())
        .build(),
    );
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
