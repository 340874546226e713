//! The `/hr` routes: one per vendor, and the same flow for each: method, body,
//! the vendor's signature, JSON, the vendor's records, then each record run by
//! the workflows (the direct contract's validation, the lease, masking), and one
//! answer whose status tells the HR system whether to retry.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{NaiveDate, Utc};
use lambda_runtime::Context;
use serde_json::{Value, json};
use tracing::{Instrument, info, info_span};

use super::bamboohr::BambooHr;
use super::record::{Intent, VendorRecord};
use crate::hr::FieldError;
use crate::http::RawBody;
use crate::http::webhook::{
    Rejection, SigningKey, SigningKeys, for_sender, http_response, http_status, in_progress,
    with_retry_after,
};
use crate::identity::ownership::unix_now;
use crate::identity::{AccountContext, EmployeeResult, Status};
use crate::lease::RETRY_AFTER_SECONDS;
use crate::triggers::strict_json;
use crate::workflows::Workflows;

/// The UTF-8 byte-order mark, which a receiver may ignore (RFC 8259 §8.1).
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
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

    /// Checks the delivery's signature with `keys` at unix time `now`. Errors:
    /// [`Rejection::VendorSignature`].
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        keys: &[SigningKey],
        now: i64,
    ) -> Result<(), Rejection>;

    /// The delivery's records, one per person. Errors: the body as a whole is
    /// not the vendor's payload (field and reason).
    fn records(&self, body: &Value) -> Result<Vec<VendorRecord>, FieldError>;
}

/// What a vendor's route needs.
pub struct ConnectorState<V> {
    vendor: V,
    workflows: Arc<Workflows>,
    keys: SigningKeys,
}

/// The `/hr` routes: `/hr/bamboohr`, and a JSON 404 for any other path.
pub fn routes(workflows: Arc<Workflows>, bamboohr: SigningKeys) -> Router {
    Router::new().nest(
        "/hr",
        Router::new()
            .route(
                &format!("/{}", BambooHr::NAME),
                any(deliver::<BambooHr>).with_state(Arc::new(ConnectorState {
                    vendor: BambooHr,
                    workflows,
                    keys: bamboohr,
                })),
            )
            .fallback(not_found),
    )
}

async fn not_found() -> Response {
    let body =
        json!({"error": {"code": "NotFound", "message": "no HR-system connector at this path"}});
    (
        axum::http::StatusCode::NOT_FOUND,
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
        let records = match accept(&state, &method, &headers, body).await {
            Ok(records) => records,
            Err(rejection) => return rejection.response(request_id),
        };
        let dry_run = is_dry_run(&uri, &headers);
        let today = Utc::now().date_naive();
        let mut answers = Vec::new();
        let mut results = Vec::new();
        for record in records {
            let mut result = state
                .act(record.intent, dry_run, today, &account, request_id)
                .await;
            for_sender(std::slice::from_mut(&mut result), "the change", request_id);
            let mut answer = serde_json::to_value(&result).unwrap_or_default();
            answer["hrId"] = json!(record.hr_id);
            answers.push(answer);
            results.push(result);
        }
        // BambooHR and HiBob retry a 5xx, not a 4xx: only what may succeed later is a 503.
        let retry = results
            .iter()
            .any(|r| in_progress(r) || matches!(r.status, Status::Failed | Status::NotStarted));
        let status = if retry { 503 } else { http_status(&results) };
        info!(
            status,
            employees = results.len(),
            "HR-system delivery answered"
        );
        let response = http_response(status, json!({"requestId": request_id, "results": answers}));
        match retry {
            true => with_retry_after(response, RETRY_AFTER_SECONDS),
            false => response,
        }
    }
    .instrument(info_span!("hr_connector", vendor = V::NAME))
    .await
}

/// The records of a POSTed, signed, well-formed delivery; anything else is a
/// [`Rejection`] (nothing written).
async fn accept<V: Vendor>(
    state: &ConnectorState<V>,
    method: &Method,
    headers: &HeaderMap,
    body: Result<Vec<u8>, crate::http::BodyError>,
) -> Result<Vec<VendorRecord>, Rejection> {
    if method != Method::POST {
        return Err(Rejection::MethodNotAllowed);
    }
    let body = body.map_err(Rejection::Body)?;
    let now = unix_now();
    state
        .keys
        .check_with(|keys| state.vendor.verify(headers, &body, keys, now))
        .await?;
    let json = body.strip_prefix(UTF8_BOM).unwrap_or(&body);
    let payload = strict_json::from_slice(json)
        .map_err(|err| {
            Rejection::InvalidJson(format!(
                "the body is not valid JSON (at line {} column {})",
                err.line(),
                err.column()
            ))
        })?
        .into_value()
        .map_err(Rejection::InvalidField)?;
    state
        .vendor
        .records(&payload)
        .map_err(Rejection::InvalidField)
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

impl<V> ConnectorState<V> {
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
                self.run("offboard", leaver, dry_run, account, attempt)
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
                    .run("update", employee.clone(), dry_run, account, attempt)
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
        self.run("onboard", employee, dry_run, account, attempt)
            .await
    }

    /// Runs `action` for `employee` as the direct contract would.
    async fn run(
        &self,
        action: &str,
        employee: Value,
        dry_run: bool,
        account: &AccountContext,
        attempt: &str,
    ) -> EmployeeResult {
        let mut request = json!({"action": action, "employee": employee});
        if dry_run {
            request["dryRun"] = json!(true);
        }
        match self.workflows.parse_request(&request) {
            Err(err) => EmployeeResult::rejected(&err),
            Ok(parsed) => {
                let results = self.workflows.run(parsed, account, attempt).await;
                results
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| EmployeeResult::deferred("nothing to do"))
            }
        }
    }
}
