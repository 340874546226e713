//! The raw body of an HTTP event: base64-decoded when the event says so, at most
//! [`MAX_BODY_BYTES`]; decoded here, before the router, so a malformed body is a
//! clear rejection and never a panic.

use axum::extract::FromRequest;
use base64::Engine;

/// Largest accepted request body, in bytes (after base64 decoding).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a request body cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`].
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Flagged as base64 but not valid base64.
    #[error("the request body is marked base64 but is not valid base64")]
    BadBase64,
}

/// The body as bytes: base64-decoded when `is_base64`, at most [`MAX_BODY_BYTES`].
pub fn decode_body(body: Option<String>, is_base64: bool) -> Result<Vec<u8>, BodyError> {
    let body = body.unwrap_or_default();
    let bytes = if is_base64 {
        if body.len() > MAX_BODY_BYTES.div_ceil(3) * 4 + 4 {
            return Err(BodyError::TooLarge);
        }
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| BodyError::BadBase64)?
    } else {
        body.into_bytes()
    };
    if bytes.len() > MAX_BODY_BYTES {
        Err(BodyError::TooLarge)
    } else {
        Ok(bytes)
    }
}

/// The body of a request as the router got it: its bytes, or why the event's body
/// was unusable (kept as a request extension by [`super::serve`]).
#[derive(Debug)]
pub struct RawBody(pub Result<Vec<u8>, BodyError>);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(
        request: axum::extract::Request,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Some(err) = request.extensions().get::<BodyError>() {
            return Ok(Self(Err(*err)));
        }
        // The whole body is already in memory (decoded from the event, within the limit).
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_or_else(|_| Err(BodyError::TooLarge), |b| Ok(b.to_vec()));
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_body_size_and_checks_base64() {
        assert_eq!(
            decode_body(Some("x".repeat(MAX_BODY_BYTES + 1)), false),
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            decode_body(Some("x".repeat(MAX_BODY_BYTES)), false)
                .unwrap()
                .len(),
            MAX_BODY_BYTES
        );
        assert_eq!(
            decode_body(Some("not base64!".into()), true),
            Err(BodyError::BadBase64)
        );
        let big = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; MAX_BODY_BYTES + 1]);
        assert_eq!(decode_body(Some(big), true), Err(BodyError::TooLarge));
    }
}
