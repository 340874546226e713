//! Outbound HTTPS for HR-system call-backs (HiBob's People API), on the AWS
//! SDK's own TLS stack: hyper 1 through hyper-util, rustls with aws-lc-rs and the
//! platform's root certificates (hyper-rustls). Every call is bounded by a
//! timeout; bodies are read up to [`MAX_RESPONSE_BYTES`].

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The largest response body read, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Why an outbound call got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection, TLS, or the request failed (the message says which).
    #[error("the request failed: {0}")]
    Transport(String),
    /// The platform's root certificates could not be loaded (on first use).
    #[error("no TLS root certificates: {0}")]
    NoRoots(String),
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP client for call-backs; clones share one connection pool.
#[derive(Clone)]
pub struct Outbound {
    /// Built on the first call: loading the platform's root certificates takes
    /// milliseconds that a cold start (make bench's init figure) should not pay.
    client: Arc<OnceLock<Result<HttpsClient, String>>>,
    timeout: Duration,
}

impl Outbound {
    /// A client whose calls each time out after `timeout`. HTTPS with the
    /// platform's roots; plain `http://` too (the configuration allows it only
    /// for loopback).
    pub fn new(timeout: Duration) -> Self {
        Self {
            client: Arc::new(OnceLock::new()),
            timeout,
        }
    }

    fn client(&self) -> Result<&HttpsClient, OutboundError> {
        self.client
            .get_or_init(|| {
                let client = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                    .map(|builder| {
                        let https = builder.https_or_http().enable_http1().build();
                        Client::builder(TokioExecutor::new()).build(https)
                    })
                    .map_err(|err| err.to_string());
                if let Err(err) = &client {
                    tracing::error!(error = %err, "no TLS root certificates: HR-system call-backs fail");
                }
                client
            })
            .as_ref()
            .map_err(|e| OutboundError::NoRoots(e.clone()))
    }

    /// POSTs the JSON `body` to `url` with the `Authorization` header
    /// `authorization`; returns the status and the body (at most
    /// [`MAX_RESPONSE_BYTES`]).
    pub async fn post_json(
        &self,
        url: &str,
        authorization: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, Vec<u8>), OutboundError> {
        let client = self.client()?;
        let request = hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::AUTHORIZATION, authorization)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        let call = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| OutboundError::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| OutboundError::Transport(e.to_string()))?
                .to_bytes();
            Ok((status, body.to_vec()))
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or(Err(OutboundError::Timeout(self.timeout)))
    }
}
