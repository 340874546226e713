//! The `/hr` routes: one per vendor, and the same flow for each: method, body,
//! the vendor's connection test, its signature, JSON, a repeated delivery, the
//! vendor's records, then each record run by the workflows (the direct
//! contract's validation, the lease, masking), and one answer whose status tells
//! the HR system whether to retry.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{NaiveDate, Utc};
use lambda_runtime::Context;
use serde_json::{Value, json};
use tracing::{Instrument, info, info_span};

use super::record::{Intent, VendorRecord};
use super::{BambooHr, HiBob};
use crate::config::GroupMap;
use crate::hr::FieldError;
use crate::http::RawBody;
use crate::http::webhook::{
    Deliveries, Outcome, Rejection, SigningKey, SigningKeys, answer_once, for_sender,
    http_response, http_status, in_progress, read_json, with_retry_after,
};
use crate::identity::ownership::unix_now;
use crate::identity::{AccountContext, EmployeeResult, Status};
use crate::lease::RETRY_AFTER_SECONDS;
use crate::workflows::Workflows;

/// The query flag (`?dryRun=true`) and header (`X-Onboarding-Dry-Run: true`)
/// that make a delivery a dry run.
const DRY_RUN_QUERY: &str = "dryRun";
const DRY_RUN_HEADER: &str = "x-onboarding-dry-run";

/// An HR system whose own webhooks the function accepts at `/hr/<NAME>`.
pub trait Vendor: Send + Sync + 'static {
    /// The route under `/hr` and the logs' `vendor` field.
    const NAME: &'static str;
    /// The variable naming the Secrets Manager secret of its signing key.
    const SECRET_VARIABLE: &'static str;

    /// Whether `body` is the vendor's connection test, answered `200` before
    /// anything else (it asks for nothing).
    fn is_ping(&self, _body: &[u8]) -> bool {
        false
    }

    /// Checks the delivery's signature with `keys` at unix time `now`. Errors:
    /// [`Rejection::VendorSignature`], or [`Rejection::SecretUnavailable`] when
    /// the secret is not of the vendor's form.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        keys: &[SigningKey],
        now: i64,
    ) -> Result<(), Rejection>;

    /// The id under which a repeat of this delivery is recognised (in the
    /// idempotency table, with the body's hash), for vendors whose signature has
    /// no timestamp; `None`: repeats converge by the workflows alone.
    fn delivery_id(&self, _body: &Value) -> Option<String> {
        None
    }

    /// The delivery's records, one per person; `keys` are the secret's versions
    /// (for a call-back). Errors: the body is not the vendor's payload
    /// ([`Rejection::InvalidField`]), or a call-back failed
    /// ([`Rejection::HrSystemUnavailable`]).
    fn records(
        &self,
        body: &Value,
        keys: &[SigningKey],
    ) -> impl Future<Output = Result<Vec<VendorRecord>, Rejection>> + Send;
}

/// What every vendor's route shares.
#[derive(Clone)]
pub struct Connectors {
    /// The workflows each record runs with.
    pub workflows: Arc<Workflows>,
    /// Records of deliveries, for vendors with a [`Vendor::delivery_id`].
    pub deliveries: Deliveries,
    /// Allowed groups per department (`HR_GROUP_MAP`).
    pub group_map: GroupMap,
}

/// One vendor's route state.
struct ConnectorState<V> {
    vendor: V,
    keys: SigningKeys,
    shared: Connectors,
}

/// The `/hr` routes: `/hr/bamboohr`, `/hr/hibob`, and a JSON 404 for any other
/// path. Each vendor gets its keys (`BAMBOOHR_SECRET_ARN`, `HIBOB_SECRET_ARN`).
pub fn routes(
    shared: Connectors,
    bamboohr: (BambooHr, SigningKeys),
    hibob: (HiBob, SigningKeys),
) -> Router {
    Router::new().nest(
        "/hr",
        Router::new()
            .route(&format!("/{}", BambooHr::NAME), route(&shared, bamboohr))
            .route(&format!("/{}", HiBob::NAME), route(&shared, hibob))
            .fallback(not_found),
    )
}

fn route<V: Vendor>(
    shared: &Connectors,
    (vendor, keys): (V, SigningKeys),
) -> axum::routing::MethodRouter {
    any(deliver::<V>).with_state(Arc::new(ConnectorState {
        vendor,
        keys,
        shared: shared.clone(),
    }))
}

async fn not_found() -> Response {
    let body =
        json!({"error": {"code": "NotFound", "message": "no HR-system connector at this path"}});
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn deliver<V: Vendor>(
    State(state): State<Arc<ConnectorState<V>>>,
    Extension(context): Extension<Context>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let request_id = context.request_id.as_str();
    let account = AccountContext::from_function_arn(&context.invoked_function_arn);
    async {
        let (body, payload) = match accept(&state, &method, &headers, body).await {
            Ok(Accepted::Ping) => {
                info!("connection test answered");
                return http_response(200, json!({"requestId": request_id, "ping": true}));
            }
            Ok(Accepted::Delivery(body, payload)) => (body, payload),
            Err(rejection) => return rejection.response(request_id),
        };
        let Some(delivery) = state.vendor.delivery_id(&payload) else {
            return state
                .run(&payload, &uri, &headers, &account, request_id)
                .await
                .1;
        };
        let run = state.run(&payload, &uri, &headers, &account, request_id);
        answer_once(&state.shared.deliveries, &delivery, &body, request_id, run).await
    }
    .instrument(info_span!("hr_connector", vendor = V::NAME))
    .await
}

enum Accepted {
    Ping,
    /// The raw body and its JSON.
    Delivery(Vec<u8>, Value),
}

/// A POSTed, signed, well-formed delivery (or the vendor's connection test);
/// anything else is a [`Rejection`] (nothing written).
async fn accept<V: Vendor>(
    state: &ConnectorState<V>,
    method: &Method,
    headers: &HeaderMap,
    body: Result<Vec<u8>, crate::http::BodyError>,
) -> Result<Accepted, Rejection> {
    if method != Method::POST {
        return Err(Rejection::MethodNotAllowed);
    }
    let body = body.map_err(Rejection::Body)?;
    if state.vendor.is_ping(&body) {
        return Ok(Accepted::Ping);
    }
    let now = unix_now();
    state
        .keys
        .check_with(|keys| state.vendor.verify(headers, &body, keys, now))
        .await?;
    let payload = read_json(&body)?;
    Ok(Accepted::Delivery(body, payload))
}

fn is_dry_run(uri: &Uri, headers: &HeaderMap) -> bool {
    let yes = |v: &str| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1";
    let by_query = uri.query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == DRY_RUN_QUERY && yes(&v))
    });
    let by_header = headers
        .get(DRY_RUN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(yes);
    by_query || by_header
}

impl<V: Vendor> ConnectorState<V> {
    /// Reads and runs the delivery's records; the answer, and the outcome to keep
    /// for a repeat when it is final (no employee failed, was busy or not started).
    async fn run(
        &self,
        payload: &Value,
        uri: &Uri,
        headers: &HeaderMap,
        account: &AccountContext,
        request_id: &str,
    ) -> (Option<Outcome>, Response) {
        let keys = self.keys.current().await;
        let records = match self.vendor.records(payload, &keys).await {
            Ok(records) => records,
            Err(rejection) => return (None, rejection.response(request_id)),
        };
        let dry_run = is_dry_run(uri, headers);
        let today = Utc::now().date_naive();
        let mut answers = Vec::new();
        let mut results = Vec::new();
        for record in records {
            let mut result = self
                .act(record.intent, dry_run, today, account, request_id)
                .await;
            for_sender(std::slice::from_mut(&mut result), "the change", request_id);
            let mut answer = serde_json::to_value(&result).unwrap_or_default();
            answer["hrId"] = json!(record.hr_id);
            answers.push(answer);
            results.push(result);
        }
        // HR systems retry a 5xx: only what may succeed later is a 503.
        let retry = results
            .iter()
            .any(|r| in_progress(r) || matches!(r.status, Status::Failed | Status::NotStarted));
        let status = if retry { 503 } else { http_status(&results) };
        info!(
            status,
            employees = results.len(),
            "HR-system delivery answered"
        );
        let outcome = Outcome::if_final(status, &results, request_id);
        let response = http_response(status, json!({"requestId": request_id, "results": answers}));
        let response = match retry {
            true => with_retry_after(response, RETRY_AFTER_SECONDS),
            false => response,
        };
        (outcome, response)
    }

    /// Runs one record: a joiner is onboarded once the hire date has come; a
    /// change updates the user, or onboards the joiner when there is no user yet;
    /// a leaver is offboarded (a future `effectiveAt` is scheduled).
    async fn act(
        &self,
        intent: Result<Intent, FieldError>,
        dry_run: bool,
        today: NaiveDate,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        let not_yet = |hire_date: Option<NaiveDate>| {
            hire_date.filter(|d| *d > today).map(|d| {
                EmployeeResult::deferred(&format!(
                    "hire date {d} is in the future: an event of the employee on or after that \
                     day onboards them"
                ))
            })
        };
        match intent {
            Err(err) => EmployeeResult::rejected(&err),
            Ok(Intent::Defer { reason }) => EmployeeResult::deferred(&reason),
            Ok(Intent::Leave { leaver }) => {
                self.run_one("offboard", leaver, dry_run, account, attempt)
                    .await
            }
            Ok(Intent::Join {
                employee,
                hire_date,
            }) => match not_yet(hire_date) {
                Some(waiting) => waiting,
                None => {
                    self.onboard(employee, hire_date, dry_run, account, attempt)
                        .await
                }
            },
            Ok(Intent::Change {
                employee,
                hire_date,
            }) => {
                let updated = self
                    .run_one("update", employee.clone(), dry_run, account, attempt)
                    .await;
                if updated.status != Status::NotFound {
                    return updated;
                }
                match not_yet(hire_date) {
                    Some(waiting) => waiting,
                    None => {
                        self.onboard(employee, hire_date, dry_run, account, attempt)
                            .await
                    }
                }
            }
        }
    }

    async fn onboard(
        &self,
        mut employee: Value,
        hire_date: Option<NaiveDate>,
        dry_run: bool,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        if let Some(date) = hire_date {
            employee["hireDate"] = json!(date.to_string());
        }
        self.run_one("onboard", employee, dry_run, account, attempt)
            .await
    }

    /// Runs `action` for `employee` as the direct contract would, its groups
    /// following its department through `HR_GROUP_MAP` (a leaver has none).
    async fn run_one(
        &self,
        action: &str,
        mut employee: Value,
        dry_run: bool,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        self.shared.group_map.apply(&mut employee);
        let mut request = json!({"action": action, "employee": employee});
        if dry_run {
            request["dryRun"] = json!(true);
        }
        match self.shared.workflows.parse_request(&request) {
            Err(err) => EmployeeResult::rejected(&err),
            Ok(parsed) => {
                let results = self.shared.workflows.run(parsed, account, attempt).await;
                results
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| EmployeeResult::deferred("nothing to do"))
            }
        }
    }
}
